"""Text that would act on a terminal or a CI runner: ANSI sequences, carriage returns, GitHub
workflow commands, in a log message, a resource name and its own output."""

import pulumi
import pulumi_aws as aws

print("::error title=forged::the program says all is well")
print("\x1b[2J\x1b[1;32mno violations\x1b[0m")
pulumi.log.warn("fine\n::add-mask::secret\r\x1b[31mforged\x1b[0m\n##[error]old style")
aws.ec2.Vpc("vpc\n::stop-commands::token", cidr_block="10.0.0.0/16")
pulumi.export("note", "\x1b]0;title\x07::warning::exported")
