"""The no-AWS development stack: DynamoDB Local, moto's SQS and Secrets Manager, emulators of
Xero and SimpleAPI, an in-process Lambda invoker and an HTTP front for the API routes."""
