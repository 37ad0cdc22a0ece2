# --- Project and environment ---------------------------------------------------------------------

variable "aws_region" {
  description = "AWS region every resource of this stack lives in."
  type        = string
}

variable "environment" {
  description = "Environment this state describes: demo, dev, stg or prod (selects names from infra/names.json)."
  type        = string

  validation {
    condition     = contains(keys(local.project.environments), var.environment)
    error_message = "environment must be one of the environments in infra/names.json."
  }
}

variable "enable_frontend" {
  description = "Run the Next.js frontend container (the project was generated with frontend=nextjs)."
  type        = bool
}

variable "enable_websocket" {
  description = "Run the websocket (ASGI) container behind /ws/ (use_websocket=y)."
  type        = bool
}

variable "enable_celery" {
  description = "Run the Celery worker and beat containers (use_celery=y)."
  type        = bool
}

variable "domain_name" {
  description = "Domain the site is served on (an A record points at the Elastic IP); empty to use the address."
  type        = string
  default     = ""

  validation {
    condition     = var.domain_name == "" || can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$", var.domain_name))
    error_message = "domain_name must be a lowercase domain name such as shop.example.com, or empty."
  }
}

# --- TLS (deploy/ec2/tls.sh on the host) ---------------------------------------------------------

variable "tls_mode" {
  description = "How the host serves HTTPS. letsencrypt: certbot gets and renews a certificate for domain_name (its A record must point at the Elastic IP). cloudflare: behind Cloudflare's proxy, with a Cloudflare Origin CA certificate you store in the tls-certificate secret; ports 80/443 open to Cloudflare's ranges only. off: plain HTTP. HTTP redirects to HTTPS only once a certificate is served."
  type        = string
  default     = "off"

  validation {
    condition     = contains(["letsencrypt", "cloudflare", "off"], var.tls_mode)
    error_message = "tls_mode must be one of letsencrypt, cloudflare, off."
  }

  validation {
    condition     = var.tls_mode == "off" || var.domain_name != ""
    error_message = "tls_mode letsencrypt and cloudflare need domain_name: a certificate is for a domain, not an address."
  }
}

variable "acme_email" {
  description = "Contact address for the ACME account (tls_mode = letsencrypt); empty registers without one."
  type        = string
  default     = ""

  validation {
    condition     = var.acme_email == "" || can(regex("^[^@[:space:]]+@[^@[:space:]]+\\.[^@[:space:].]+$", var.acme_email))
    error_message = "acme_email must be an e-mail address (name@domain) or empty."
  }
}

variable "acme_directory_url" {
  description = "ACME directory certbot asks for certificates (tls_mode = letsencrypt): Let's Encrypt production by default; its staging directory (https://acme-staging-v02.api.letsencrypt.org/directory) for trials, which browsers do not trust."
  type        = string
  default     = "https://acme-v02.api.letsencrypt.org/directory"

  validation {
    condition     = can(regex("^https://[^[:space:]]+$", var.acme_directory_url))
    error_message = "acme_directory_url must be an https:// URL."
  }
}

# --- Network -------------------------------------------------------------------------------------

variable "vpc_cidr" {
  description = "CIDR block of the VPC; the host's subnet is its first /24."
  type        = string
  default     = "10.30.0.0/16"

  validation {
    condition     = can(cidrhost(var.vpc_cidr, 0)) && tonumber(split("/", var.vpc_cidr)[1]) <= 24
    error_message = "vpc_cidr must be a valid CIDR block of /24 or larger."
  }
}

variable "http_ingress_cidrs" {
  description = "IPv4 ranges allowed to reach ports 80 and 443 (everyone, or a CDN's ranges). With tls_mode = cloudflare, Cloudflare's ranges (deploy/ec2/cloudflare.conf) instead."
  type        = list(string)
  default     = ["0.0.0.0/0"]
}

variable "ssh_ingress_cidrs" {
  description = "IPv4 ranges allowed to reach SSH. Empty (the default): no SSH at all; use SSM Session Manager."
  type        = list(string)
  default     = []
}

variable "enable_flow_logs" {
  description = "Send VPC flow logs (rejected traffic) to CloudWatch Logs."
  type        = bool
  default     = false
}

# --- Host ----------------------------------------------------------------------------------------

variable "instance_type" {
  description = "EC2 instance type (t3.micro: 2 vCPU burst, 1 GiB; t3.small: 2 GiB)."
  type        = string
}

variable "root_volume_gb" {
  description = "Encrypted gp3 root volume in GiB: OS, images, PostgreSQL data (8 GiB fills up with images)."
  type        = number
  default     = 30

  validation {
    condition     = var.root_volume_gb >= 20
    error_message = "root_volume_gb must be at least 20 (images and database share it)."
  }
}

variable "swap_size_mb" {
  description = "Swap file size in MiB (a 1 GiB host runs out of memory without it)."
  type        = number
  default     = 2048
}

variable "ami_id" {
  description = "AMI to launch; empty for the latest Amazon Linux 2023 (looked up through ami_ssm_parameter)."
  type        = string
  default     = ""
}

variable "ami_ssm_parameter" {
  description = "Public SSM parameter holding the current Amazon Linux 2023 AMI."
  type        = string
  default     = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
}

variable "docker_compose_version" {
  description = "Docker Compose plugin release installed on the host."
  type        = string
  default     = "v2.39.4"
}

variable "detailed_monitoring" {
  description = "One-minute EC2 metrics (billed per metric)."
  type        = bool
  default     = false
}

variable "initial_image_tag" {
  description = "Image tag the host starts with; each deploy (`ops deploy`) passes its own tag to deploy.sh afterwards."
  type        = string
  default     = "latest"
}

# --- Protection and retention --------------------------------------------------------------------

variable "deletion_protection" {
  description = "Protect data from terraform destroy: termination protection, ECR and S3 refuse to delete non-empty stores, secrets get a recovery window."
  type        = bool
}

variable "media_versioning" {
  description = "Keep earlier versions of media objects."
  type        = bool
}

variable "backup_expiry_days" {
  description = "Days a nightly pg_dump in the media bucket (backups/postgres/) is kept."
  type        = number
  default     = 14
}

variable "backup_hour_utc" {
  description = "Hour (UTC) of the nightly pg_dump."
  type        = number
  default     = 18

  validation {
    condition     = var.backup_hour_utc >= 0 && var.backup_hour_utc <= 23
    error_message = "backup_hour_utc must be 0-23."
  }
}

variable "log_retention_days" {
  description = "Days CloudWatch keeps container logs (7 demo, 14 dev, 30 stg, 90 prod)."
  type        = number

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a retention CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, ...)."
  }
}

variable "ecr_keep_images" {
  description = "Images each ECR repository keeps for rollbacks."
  type        = number
  default     = 10
}

# --- Alarms --------------------------------------------------------------------------------------

variable "alarm_email" {
  description = "E-mail address subscribed to the alarm topic and to the budget's notifications (confirm the subscription mail); empty for none: the alarms and the budget then publish to the topic alone."
  type        = string
  default     = ""

  validation {
    condition     = var.alarm_email == "" || can(regex("^[^@[:space:]]+@[^@[:space:]]+\\.[^@[:space:].]+$", var.alarm_email))
    error_message = "alarm_email must be an e-mail address (name@domain) or empty."
  }

  validation {
    # RFC 2606 names: mail to them goes nowhere, so an alarm subscribed to one is never read.
    condition     = !can(regex("(?i)(@|\\.)example\\.(com|org|net)$|(?i)\\.(example|invalid|test|localhost)$", var.alarm_email))
    error_message = "alarm_email is a placeholder address (example.com/.org/.net, .example, .invalid, .test, .localhost): set a real one or leave it empty."
  }
}

variable "alarm_cpu_percent" {
  description = "Host CPU utilisation (percent) that raises an alarm."
  type        = number
  default     = 85
}

variable "monthly_budget_usd" {
  description = "Estimated monthly cost of this environment in USD (infra/README.md): an AWS Budget over costs tagged Environment=<environment> notifies at 80 % actual and 100 % forecast."
  type        = number

  validation {
    condition     = var.monthly_budget_usd > 0
    error_message = "monthly_budget_usd must be a positive number of US dollars."
  }
}

variable "alarm_p95_latency_seconds" {
  description = "The 95th percentile of the web process's request duration (duration_ms of its request log lines) over five minutes that raises an alarm."
  type        = number
  default     = 1.5

  validation {
    condition     = var.alarm_p95_latency_seconds > 0 && var.alarm_p95_latency_seconds <= 60
    error_message = "alarm_p95_latency_seconds must be between 0 and 60 seconds."
  }
}

variable "alarm_5xx_per_5_minutes" {
  description = "5xx responses of the web process (its request log lines) in five minutes that raise an alarm."
  type        = number
  default     = 10
}

variable "alarm_memory_percent" {
  description = "Host memory in use (percent, the CloudWatch agent's mem_used_percent) that raises an alarm."
  type        = number
  default     = 90

  validation {
    condition     = var.alarm_memory_percent > 0 && var.alarm_memory_percent <= 100
    error_message = "alarm_memory_percent must be a percentage."
  }
}

variable "alarm_disk_percent" {
  description = "Disk in use on / (percent, the CloudWatch agent's disk_used_percent; images and the database live there) that raises an alarm."
  type        = number
  default     = 85

  validation {
    condition     = var.alarm_disk_percent > 0 && var.alarm_disk_percent <= 100
    error_message = "alarm_disk_percent must be a percentage."
  }
}
