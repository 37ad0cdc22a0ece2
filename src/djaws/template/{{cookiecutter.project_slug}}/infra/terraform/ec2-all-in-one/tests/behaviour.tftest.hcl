# terraform test -var-file=envs/demo.tfvars -filter=tests/behaviour.tftest.hcl  (make infra-test)
# The host's security and first boot, whatever the environment.

mock_provider "aws" {
  source          = "./tests/mocks"
  override_during = plan
}

run "only_web_ports_are_open" {
  command = plan

  assert {
    condition     = length(aws_vpc_security_group_ingress_rule.ssh) == 0
    error_message = "No SSH by default: shell access goes through SSM Session Manager."
  }

  assert {
    condition     = sort(concat([for rule in aws_vpc_security_group_ingress_rule.http : tostring(rule.from_port)], [for rule in aws_vpc_security_group_ingress_rule.https : tostring(rule.from_port)])) == tolist(["443", "80"])
    error_message = "Only 80 and 443 are open."
  }
}

run "ssh_only_when_a_range_is_given" {
  command = plan

  variables {
    ssh_ingress_cidrs = ["198.51.100.7/32"]
  }

  assert {
    condition     = length(aws_vpc_security_group_ingress_rule.ssh) == 1 && aws_vpc_security_group_ingress_rule.ssh["198.51.100.7/32"].from_port == 22
    error_message = "An allowed range opens SSH to that range only."
  }
}

run "host_is_hardened" {
  command = plan

  assert {
    condition     = aws_instance.host.metadata_options[0].http_tokens == "required"
    error_message = "IMDSv2 only."
  }

  assert {
    condition     = aws_instance.host.root_block_device[0].encrypted && aws_instance.host.root_block_device[0].volume_size >= 20
    error_message = "The root volume is encrypted and sized for images."
  }

  assert {
    condition     = aws_iam_role_policy_attachment.ssm.policy_arn == "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
    error_message = "The host is reachable through SSM."
  }
}

run "first_boot_sets_up_the_host" {
  command = plan

  assert {
    condition = alltrue([
      for step in ["fallocate -l 2048M /swapfile", "dnf install -y docker cronie", "docker-compose-linux-x86_64", "/etc/cron.d/", "deploy/ec2/backup-db.sh", "deploy/ec2/cleanup.sh", "deploy/ec2/deploy.sh"] :
      strcontains(aws_instance.host.user_data, step)
    ])
    error_message = "User data installs Docker and Compose, adds swap, schedules backups and clean-up, and starts the app."
  }

  assert {
    condition     = length(aws_instance.host.user_data) < 16384
    error_message = "User data must stay under EC2's 16 KiB limit."
  }
}

run "plain_http_without_tls" {
  command = plan

  variables {
    tls_mode = "off"
  }

  assert {
    condition     = startswith(output.site_url, "http://") && aws_instance.host.user_data != "" && !strcontains(aws_instance.host.user_data, "tls.sh renew")
    error_message = "tls_mode off: the site URL is http:// and no renewal is scheduled."
  }

  assert {
    condition     = output.tls_certificate_secret_name == "" && length(aws_secretsmanager_secret.tls_certificate) == 0
    error_message = "tls_mode off: no certificate secret."
  }
}

run "letsencrypt_serves_https_once_the_host_has_a_certificate" {
  command = plan

  variables {
    domain_name        = "shop.example.com"
    tls_mode           = "letsencrypt"
    acme_email         = "ops@shop.example.com"
    acme_directory_url = "https://acme.test:14000/dir"
  }

  assert {
    condition     = output.site_url == "https://shop.example.com"
    error_message = "With a certificate mode the site is reached on https://domain."
  }

  assert {
    condition = alltrue([
      for line in ["TLS_MODE=letsencrypt", "DOMAIN_NAME=shop.example.com", "ACME_EMAIL=ops@shop.example.com", "ACME_DIRECTORY_URL=https://acme.test:14000/dir", "SERVED_OVER_HTTPS=false", "SITE_URL=http://shop.example.com"] :
      strcontains(aws_instance.host.user_data, "\n${line}\n")
    ])
    error_message = "host.env carries the TLS settings; the app's HTTPS settings wait for tls.sh to serve a certificate (render-env.sh switches them)."
  }

  assert {
    condition     = strcontains(aws_instance.host.user_data, "$((RANDOM % 60)) $((RANDOM % 12)),$((RANDOM % 12 + 12)) * * * root bash $APP_DIR/deploy/ec2/tls.sh renew")
    error_message = "Renewal runs twice a day, twelve hours apart, at a time drawn per host (spreading the load on the ACME server)."
  }

  assert {
    condition     = contains(local.site_origins, "https://shop.example.com") && contains(local.site_origins, "http://shop.example.com")
    error_message = "Uploads are allowed from the https origin, and from the http one the site answers on before its certificate."
  }
}

run "cloudflare_admits_only_cloudflare_and_reads_its_certificate_secret" {
  command = plan

  variables {
    domain_name = "shop.example.com"
    tls_mode    = "cloudflare"
  }

  assert {
    condition     = contains(keys(aws_vpc_security_group_ingress_rule.https), "173.245.48.0/20") && !contains(keys(aws_vpc_security_group_ingress_rule.https), "0.0.0.0/0") && length(aws_vpc_security_group_ingress_rule.http) == 15
    error_message = "Behind Cloudflare, ports 80 and 443 admit Cloudflare's 15 IPv4 ranges (deploy/ec2/cloudflare.conf) and nobody else."
  }

  assert {
    condition     = length(aws_secretsmanager_secret.tls_certificate) == 1 && strcontains(aws_iam_role_policy.instance.policy, aws_secretsmanager_secret.tls_certificate[0].arn)
    error_message = "The certificate secret exists and the host may read it."
  }
}

run "tls_without_a_domain_is_refused" {
  command = plan

  variables {
    domain_name = ""
    tls_mode    = "letsencrypt"
  }

  expect_failures = [var.tls_mode]
}
