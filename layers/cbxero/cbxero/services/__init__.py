"""Use cases: what each Lambda door calls. They depend on ports, never on boto3 or HTTP."""
