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
