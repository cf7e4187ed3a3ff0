# Identity policies the seeds' ways: heredoc with interpolations, a policy computed elsewhere,
# a bucket policy from a data source with a wildcard principal block.

variable "extra_policy" {
  type = string
}

resource "aws_iam_policy" "deployer" {
  name   = "deployer"
  policy = <<-POLICY
    {
      "Version": "2012-10-17",
      "Statement": [
        {
          "Effect": "Allow",
          "Action": ["iam:PassRole", "ec2:RunInstances"],
          "Resource": "*"
        },
        {
          "Effect": "Allow",
          "Action": "s3:GetObject",
          "Resource": "${aws_s3_bucket.artifacts.arn}/*",
          "Condition": {"StringEquals": {"aws:username": "$${aws:username}"}}
        }
      ]
    }
  POLICY
}

resource "aws_iam_policy" "extra" {
  name   = "extra"
  policy = var.extra_policy
}

data "aws_iam_policy_document" "artifacts" {
  statement {
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    actions   = ["s3:GetObject"]
    resources = ["${aws_s3_bucket.artifacts.arn}/*"]
    condition {
      test     = "StringEquals"
      variable = "aws:SourceVpce"
      values   = ["vpce-1a2b3c4d"]
    }
  }
}

resource "aws_s3_bucket_policy" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id
  policy = data.aws_iam_policy_document.artifacts.json
}
