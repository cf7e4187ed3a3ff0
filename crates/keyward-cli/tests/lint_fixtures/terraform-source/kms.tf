# Seed-shaped Terraform: a key whose policy is a policy document data source, a role with a
# jsonencode trust policy and an inline policy, and a key with a heredoc policy.

data "aws_caller_identity" "current" {}
data "aws_region" "current" {}

data "aws_iam_policy_document" "orders_key" {
  statement {
    sid    = "AccountAdmin"
    effect = "Allow"

    principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::${data.aws_caller_identity.current.account_id}:root"]
    }

    actions   = ["kms:*"]
    resources = ["*"]
  }

  statement {
    sid    = "AppUse"
    effect = "Allow"

    principals {
      type        = "AWS"
      identifiers = [
        aws_iam_role.orders_app.arn,
      ]
    }

    actions = [
      "kms:Decrpyt",
      "kms:GenerateDataKey*",
      "kms:DescribeKey",
    ]

    resources = ["*"]

    condition {
      test     = "StringLike"
      variable = "aws:PrincipalArn"
      values   = ["arn:aws:iam::${data.aws_caller_identity.current.account_id}:role/orders-*"]
    }
  }
}

resource "aws_kms_key" "orders" {
  description         = "orders"
  enable_key_rotation = true
}

resource "aws_kms_key_policy" "orders" {
  key_id = aws_kms_key.orders.id
  policy = data.aws_iam_policy_document.orders_key.json
}

resource "aws_iam_role" "orders_app" {
  name = "orders-app"

  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Action = "sts:AssumeRole"
        Effect = "Allow"
        Principal = {
          Service = "lambda.amazonaws.com"
        }
      }
    ]
  })
}

resource "aws_iam_role_policy" "orders_app" {
  name = "orders-kms"
  role = aws_iam_role.orders_app.id

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect = "Allow"
        Action = [
          "kms:Decrypt",
          "kms:Decrypt",
        ]
        Resource = [
          aws_kms_key.orders.arn,
        ]
        Condition = {
          StringEquals = {
            "kms:ViaService" = "s3.${data.aws_region.current.name}.amazonaws.com"
          }
        }
      }
    ]
  })
}

resource "aws_kms_key" "reports" {
  description = "reports"
  policy      = <<EOF
{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "Admin",
      "Effect": "Allow",
      "Principal": {"AWS": "arn:aws:iam::${data.aws_caller_identity.current.account_id}:root"},
      "Action": "kms:*",
      "Resource": "*"
    },
    {
      "Sid": "Reader",
      "Effect": "Allow",
      "Principal": {"AWS": "*"},
      "Action": ["kms:Decrypt"],
      "Resource": "*"
    }
  ]
}
EOF
}
