resource "aws_kms_key" "broken" {
  policy = jsonencode({
    Version = "2012-10-17"
  }
}
