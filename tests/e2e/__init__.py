"""End-to-end runs of the README's deploy path through the real Pulumi engine (`make e2e`)."""
