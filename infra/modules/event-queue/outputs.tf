output "queue_url" {
  description = "URL of the queue the worker receives from (the worker's queue setting; KEDA's queueURL)."
  value       = aws_sqs_queue.events.id
}

output "queue_arn" {
  description = "ARN of the queue."
  value       = aws_sqs_queue.events.arn
}

output "queue_name" {
  description = "Name of the queue (SERVICE-ENV); the alert on the oldest message's age selects it."
  value       = aws_sqs_queue.events.name
}

output "dead_letter_queue_url" {
  description = "URL of the dead-letter queue (inspect and redrive from here)."
  value       = aws_sqs_queue.dead_letter.id
}

output "dead_letter_queue_arn" {
  description = "ARN of the dead-letter queue."
  value       = aws_sqs_queue.dead_letter.arn
}

output "dead_letter_queue_name" {
  description = "Name of the dead-letter queue (SERVICE-ENV-dlq); the alert on a non-empty dead-letter queue selects it."
  value       = aws_sqs_queue.dead_letter.name
}

output "kms_key_arn" {
  description = "ARN of the key that encrypts both queues (the worker decrypts through SQS with it)."
  value       = aws_kms_key.queue.arn
}

output "notification" {
  description = "What the source bucket's single notification configuration must contain for this queue: queue ARN, events and key prefix. Owned by the caller (one configuration per bucket)."
  value = {
    queue_arn     = aws_sqs_queue.events.arn
    events        = ["s3:ObjectCreated:*"]
    filter_prefix = "${var.source_prefix}/"
  }
  # S3 sends a test message when the configuration is written: the policy must exist first.
  depends_on = [aws_sqs_queue_policy.events]
}
