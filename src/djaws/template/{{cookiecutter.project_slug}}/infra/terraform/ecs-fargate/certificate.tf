# The site's TLS certificate. Bring your own (var.certificate_arn), or, with domain_name alone, the
# stack requests one from ACM (free) and validates it by DNS: through the Route 53 zone when
# var.hosted_zone_id is given (dns.tf writes the records), otherwise the records are printed
# (output certificate_validation_records) for whoever runs the domain's DNS, and the next apply with
# certificate_records_published = true waits for ACM to issue it.
#
# HTTPS is served only by an issued certificate: aws_acm_certificate_validation waits for ACM to
# report ISSUED, the HTTPS listener takes its certificate from that resource, and the HTTP redirect
# and the backend's SERVED_OVER_HTTPS follow the listener (alb.tf, locals.tf). Until then the site
# stays on plain HTTP; a redirect to a listener that does not exist would take it down.

locals {
  managed_certificate = var.domain_name != "" && var.certificate_arn == ""
  # ACM can issue the stack's certificate once its validation records resolve.
  managed_certificate_validated = local.managed_certificate && (var.hosted_zone_id != "" || var.certificate_records_published)
  https_enabled                 = var.certificate_arn != "" || local.managed_certificate_validated
  serving_certificate_arn       = var.certificate_arn != "" ? var.certificate_arn : one(aws_acm_certificate_validation.site[*].certificate_arn)

  # The CNAME records ACM checks, one per name on the certificate.
  certificate_validation_records = {
    for option in flatten(aws_acm_certificate.site[*].domain_validation_options) : option.domain_name => {
      name  = option.resource_record_name
      type  = option.resource_record_type
      value = option.resource_record_value
    }
  }
}

resource "aws_acm_certificate" "site" {
  count = local.managed_certificate ? 1 : 0

  domain_name       = var.domain_name
  validation_method = "DNS"

  # A new domain gets its certificate before the listener lets go of the old one.
  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_acm_certificate_validation" "site" {
  count = local.managed_certificate_validated ? 1 : 0

  certificate_arn = aws_acm_certificate.site[0].arn
  # With the zone: wait for these records too. Without: the records are already in the user's DNS.
  validation_record_fqdns = var.hosted_zone_id != "" ? [for record in aws_route53_record.certificate_validation : record.fqdn] : null
}
