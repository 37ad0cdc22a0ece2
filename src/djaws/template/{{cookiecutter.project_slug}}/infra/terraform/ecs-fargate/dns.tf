# Route 53 records, only when var.hosted_zone_id names the zone holding domain_name: the
# certificate's validation records and an alias of domain_name to the load balancer. Without a
# zone, point domain_name at output alb_dns_name (CNAME, or ALIAS/ANAME at a zone apex) yourself.

resource "aws_route53_record" "certificate_validation" {
  for_each = var.hosted_zone_id != "" ? local.certificate_validation_records : {}

  zone_id = var.hosted_zone_id
  name    = each.value.name
  type    = each.value.type
  records = [each.value.value]
  ttl     = 300
  # ACM gives every certificate for the same name the same record; a second stack may share it.
  allow_overwrite = true
}

resource "aws_route53_record" "site" {
  count = var.hosted_zone_id != "" ? 1 : 0

  zone_id = var.hosted_zone_id
  name    = var.domain_name
  type    = "A"

  alias {
    name                   = aws_lb.main.dns_name
    zone_id                = aws_lb.main.zone_id
    evaluate_target_health = false
  }
}
