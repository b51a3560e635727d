"""Pass-through provider plugins: TEST DOUBLES for pulumi-aws, pulumi-azure-native, pulumi-azure
(classic) and pulumi-gcp, which cannot be built offline (see tests/e2e/README.md).

They check NOTHING a real provider checks: no provider defaults, no ForceNew/replacement, no
formats, no cloud rules. Inputs are echoed; ids and the computed outputs kurl-lb's components
read are deterministic functions of the URN; lookups are answered from `fixtures.py`.
"""
