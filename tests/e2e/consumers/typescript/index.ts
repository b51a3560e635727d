// kurl-lb's AwsKurlNlb from TypeScript, with literal arguments (those of Pulumi.dev.yaml): an
// internal NLB for three primaries, the first two registered. Integers arrive as floats: see the
// note in ../yaml/Pulumi.yaml.
import * as kurl from "@pulumi/kurl";

const api = new kurl.AwsKurlNlb("api", {
    scheme: "internal",
    vpcId: "vpc-0a1b2c3d4e5f60718",
    subnetIds: ["subnet-0a1b2c3d4e5f60711", "subnet-0a1b2c3d4e5f60722", "subnet-0a1b2c3d4e5f60733"],
    port: 6443,
    healthCheck: { intervalSeconds: 10, unhealthyThreshold: 3 },
    targetType: "ip",
    instanceSecurityGroupId: "sg-0a1b2c3d4e5f60799",
    allowedClientCidrs: ["10.0.0.0/16"],
    tags: { team: "platform", cluster: "kurl-typescript" },
    primaries: [
        { name: "primary-1", address: "10.0.1.10", registered: true },
        { name: "primary-2", address: "10.0.2.10", registered: true },
        { name: "primary-3", address: "10.0.3.10" },
    ],
});

export const loadBalancerAddress = api.loadBalancerAddress;
export const registeredPrimaries = api.registeredPrimaries;
