# The infrastructure role: what terraform apply and destroy of a target stack need, for the
# create-infra and destroy workflows. AWS's PowerUserAccess covers every service the stacks use
# except IAM; IAM is limited to the roles and instance profile the stacks name (infra/names.json)
# and to service-linked roles. Explicit denies keep it from touching what the bootstrap owns: the
# two GitHub roles (no escalating its own rights) and the state bucket's settings.

locals {
  stack_role_names = flatten([
    for names in local.environments : [
      names.iam_execution_role,
      names.iam_task_role,
      names.iam_instance_role,
      names.iam_flow_logs_role,
      names.iam_scheduler_role,
    ]
  ])
  stack_iam_arns = concat(
    [for name in local.stack_role_names : "${local.arn_prefix}:iam::${local.account_id}:role/${name}"],
    [for names in local.environments : "${local.arn_prefix}:iam::${local.account_id}:instance-profile/${names.iam_instance_role}"],
  )
  github_role_arns = [
    for name in [local.project.shared.iam_deploy_role, local.project.shared.iam_infra_role] :
    "${local.arn_prefix}:iam::${local.account_id}:role/${name}"
  ]

  infra_permissions = {
    StackRolesAndInstanceProfiles = {
      effect = "Allow"
      actions = [
        "iam:AddRoleToInstanceProfile",
        "iam:AttachRolePolicy",
        "iam:CreateInstanceProfile",
        "iam:CreateRole",
        "iam:DeleteInstanceProfile",
        "iam:DeleteRole",
        "iam:DeleteRolePolicy",
        "iam:DetachRolePolicy",
        "iam:GetInstanceProfile",
        "iam:GetRole",
        "iam:GetRolePolicy",
        "iam:ListAttachedRolePolicies",
        "iam:ListInstanceProfilesForRole",
        "iam:ListRolePolicies",
        "iam:PassRole",
        "iam:PutRolePolicy",
        "iam:RemoveRoleFromInstanceProfile",
        "iam:TagInstanceProfile",
        "iam:TagRole",
        "iam:UntagRole",
        "iam:UpdateAssumeRolePolicy",
        "iam:UpdateRole",
        "iam:UpdateRoleDescription",
      ]
      resources = local.stack_iam_arns
    }
    ServiceLinkedRoles = {
      effect    = "Allow"
      actions   = ["iam:CreateServiceLinkedRole"]
      resources = ["${local.arn_prefix}:iam::${local.account_id}:role/aws-service-role/*"]
    }
    ReadIam = {
      effect = "Allow"
      actions = [
        "iam:GetOpenIDConnectProvider",
        "iam:GetPolicy",
        "iam:GetPolicyVersion",
      ]
      resources = ["*"]
    }
    NoChangesToGitHubRoles = {
      effect    = "Deny"
      actions   = ["iam:*"]
      resources = local.github_role_arns
    }
    NoChangesToStateBucketSettings = {
      effect = "Deny"
      actions = [
        "s3:DeleteBucket",
        "s3:DeleteBucketPolicy",
        "s3:PutBucketPolicy",
        "s3:PutBucketPublicAccessBlock",
        "s3:PutBucketVersioning",
        "s3:PutEncryptionConfiguration",
        "s3:PutLifecycleConfiguration",
      ]
      resources = [local.state_bucket_arn]
    }
  }
}

resource "aws_iam_role" "infra" {
  count = local.github_enabled ? 1 : 0

  name                 = local.project.shared.iam_infra_role
  description          = "GitHub Actions of ${local.repository} create and destroy ${local.project.resource_prefix}'s environments"
  max_session_duration = 3600
  assume_role_policy   = local.github_trust_policy
}

resource "aws_iam_role_policy_attachment" "infra_power_user" {
  count = local.github_enabled ? 1 : 0

  role       = aws_iam_role.infra[0].name
  policy_arn = "${local.arn_prefix}:iam::aws:policy/PowerUserAccess"
}

resource "aws_iam_role_policy" "infra" {
  #checkov:skip=CKV_AWS_290:ReadIam's Get* actions on "*" read policies and the OIDC provider only.
  #checkov:skip=CKV_AWS_355:ReadIam's Get* actions on "*" read policies and the OIDC provider only.
  count = local.github_enabled ? 1 : 0

  name = "stack-iam"
  role = aws_iam_role.infra[0].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      for sid, permission in local.infra_permissions :
      { Sid = sid, Effect = permission.effect, Action = permission.actions, Resource = permission.resources }
    ]
  })
}
