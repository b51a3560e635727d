// pulumi-resource-aws for kurl-lb's tests: the Terraform AWS provider's own planning code (Check's
// validators, Diff's ForceNew and CustomizeDiff decisions) served to the Pulumi engine by
// pulumi-terraform-bridge, under pulumi-aws's type tokens for the resources kurl-lb uses.
//
// This is NOT the pulumi-aws release: that plugin's module is refused by the Go module proxy.
// What pulumi-aws adds on top of the Terraform provider is reproduced here only where a plan
// depends on it or its schema differs (autonaming, the security group's default description,
// the deregistration delay's type, tagsAll computed at Check, the security group's rule blocks'
// names); no aliases, no default tags, no per-resource region default, no other resources.
//
// It never reaches AWS: Configure forces dummy credentials and every skip-the-network setting,
// and when KURL_AWS_LOOKUPS names a command, lookups (invokes) are answered by it instead of by
// the provider's data sources (tests/e2e answers them from its fixtures, as it does for the
// pass-through doubles). Create at preview returns computed values as unknown; a create,
// update or delete that is not a preview is refused (offline.go).
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"

	"github.com/hashicorp/terraform-provider-aws/xpprovider"
	pftfbridge "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfbridge"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfgen"
	shim "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfshim"
	shimv2 "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfshim/sdk-v2"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/x/muxer"
	"github.com/pulumi/pulumi-terraform-bridge/v3/unstable/metadata"
	rprovider "github.com/pulumi/pulumi/pkg/v3/resource/provider"
	"github.com/pulumi/pulumi/sdk/v3/go/common/diag"
	"github.com/pulumi/pulumi/sdk/v3/go/common/diag/colors"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/cmdutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// Reported by GetPluginInfo: the Terraform AWS provider release the Upbound fork carries, marked
// as this build so it is never mistaken for a pulumi-aws version.
const version = "6.34.0-kurl-e2e"

// The resources and lookups kurl-lb's components and examples use, under pulumi-aws's tokens.
var resources = map[string]string{
	"aws_lb":                              "aws:lb/loadBalancer:LoadBalancer",
	"aws_lb_target_group":                 "aws:lb/targetGroup:TargetGroup",
	"aws_lb_listener":                     "aws:lb/listener:Listener",
	"aws_lb_target_group_attachment":      "aws:lb/targetGroupAttachment:TargetGroupAttachment",
	"aws_security_group":                  "aws:ec2/securityGroup:SecurityGroup",
	"aws_vpc_security_group_ingress_rule": "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
	"aws_vpc_security_group_egress_rule":  "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
	"aws_vpc":                             "aws:ec2/vpc:Vpc",
	"aws_subnet":                          "aws:ec2/subnet:Subnet",
	"aws_instance":                        "aws:ec2/instance:Instance",
	// Issue 21: static addresses and the API's DNS record.
	"aws_eip":            "aws:ec2/eip:Eip",
	"aws_route53_record": "aws:route53/record:Record",
}

var dataSources = map[string]string{
	"aws_vpc":    "aws:ec2/getVpc:getVpc",
	"aws_subnet": "aws:ec2/getSubnet:getSubnet",
	// Issue 21: the hosted zone a DNS record is checked against.
	"aws_route53_zone": "aws:route53/getZone:getZone",
}

// pulumi-aws's own layer for those resources (its provider/resources.go and tags.go).
func resourceInfo(tf, tok string, schema shim.Resource) *tfbridge.ResourceInfo {
	info := &tfbridge.ResourceInfo{Tok: tokens.Type(tok), Fields: map[string]*tfbridge.SchemaInfo{}}
	// Load balancer and target group names: at most 32 characters, "-" and 7 random ones added.
	lbName := tfbridge.AutoNameWithCustomOptions("name", tfbridge.AutoNameOptions{
		Separator: "-", Maxlen: 32, Randlen: 7,
	})
	switch tf {
	case "aws_lb":
		info.Fields["name"] = lbName
	case "aws_lb_target_group":
		info.Fields["name"] = lbName
		// A string in the Terraform schema; pulumi-aws types it as an integer.
		info.Fields["deregistration_delay"] = &tfbridge.SchemaInfo{Type: "integer"}
	case "aws_security_group":
		info.Fields["name"] = tfbridge.AutoName("name", 255, "-")
		info.Fields["description"] = &tfbridge.SchemaInfo{
			Default: &tfbridge.DefaultInfo{Value: "Managed by Pulumi"},
		}
		// Not pluralized, unlike other repeated blocks.
		info.Fields["ingress"] = &tfbridge.SchemaInfo{Name: "ingress"}
		info.Fields["egress"] = &tfbridge.SchemaInfo{Name: "egress"}
	case "aws_route53_record":
		// One-item blocks pulumi-aws keeps as plural lists (aliases: [...]); the bridge alone
		// would flatten them to one object.
		for block, name := range map[string]string{
			"alias":                      "aliases",
			"failover_routing_policy":    "failoverRoutingPolicies",
			"geolocation_routing_policy": "geolocationRoutingPolicies",
			"latency_routing_policy":     "latencyRoutingPolicies",
			"weighted_routing_policy":    "weightedRoutingPolicies",
		} {
			info.Fields[block] = &tfbridge.SchemaInfo{Name: name, MaxItemsOne: tfbridge.False()}
		}
	}
	// tagsAll is an output only: pulumi-aws computes it at Check from tags (and the provider's
	// default tags, which these tests never set). Framework resources have it read-only already.
	if all, ok := schema.Schema().GetOk("tags_all"); ok && all.Optional() {
		if _, ok := schema.Schema().GetOk("tags"); ok {
			info.Fields["tags_all"] = &tfbridge.SchemaInfo{MarkAsComputedOnly: tfbridge.True()}
			info.PreCheckCallback = tagsAll
		}
	}
	return info
}

func tagsAll(
	_ context.Context, config resource.PropertyMap, _ resource.PropertyMap,
) (resource.PropertyMap, error) {
	out := config.Copy()
	tags, ok := config["tags"]
	if !ok || tags.IsNull() {
		tags = resource.NewObjectProperty(resource.PropertyMap{})
	}
	out["tagsAll"] = tags
	return out, nil
}

// Provider settings forced at Configure: no credentials, account, metadata or region call.
var offlineConfig = map[string]any{
	"accessKey":                 "AKIAKURLE2EOFFLINE00",
	"secretKey":                 "kurl-lb-e2e-offline-planning-only",
	"skipCredentialsValidation": true,
	"skipRequestingAccountId":   true,
	"skipMetadataApiCheck":      true,
	"skipRegionValidation":      true,
	"maxRetries":                0,
}

func providerInfo(ctx context.Context) (tfbridge.ProviderInfo, error) {
	fw, sdk, err := xpprovider.GetProvider(ctx)
	if err != nil {
		return tfbridge.ProviderInfo{}, fmt.Errorf("the Terraform AWS provider did not start: %w", err)
	}
	p := pftfbridge.MuxShimWithDisjointgPF(ctx, shimv2.NewProvider(sdk), fw)
	info := tfbridge.ProviderInfo{
		P:            p,
		Name:         "aws",
		Version:      version,
		GitHubOrg:    "hashicorp",
		MetadataInfo: tfbridge.NewProviderMetadata(nil),
		Resources:    map[string]*tfbridge.ResourceInfo{},
		DataSources:  map[string]*tfbridge.DataSourceInfo{},
	}
	for tf, tok := range resources {
		schema, ok := p.ResourcesMap().GetOk(tf)
		if !ok {
			return info, fmt.Errorf("resource %s is not in the built provider (build.sh keeps too few services)", tf)
		}
		info.Resources[tf] = resourceInfo(tf, tok, schema)
	}
	for tf, tok := range dataSources {
		if p.DataSourcesMap().Get(tf) == nil {
			return info, fmt.Errorf("data source %s is not in the built provider (build.sh keeps too few services)", tf)
		}
		info.DataSources[tf] = &tfbridge.DataSourceInfo{Tok: tokens.ModuleMember(tok)}
	}
	// Everything else the provider serves stays unmapped on purpose.
	p.ResourcesMap().Range(func(tf string, _ shim.Resource) bool {
		if _, ok := resources[tf]; !ok {
			info.IgnoreMappings = append(info.IgnoreMappings, tf)
		}
		return true
	})
	p.DataSourcesMap().Range(func(tf string, _ shim.Resource) bool {
		if _, ok := dataSources[tf]; !ok {
			info.IgnoreMappings = append(info.IgnoreMappings, tf)
		}
		return true
	})
	sort.Strings(info.IgnoreMappings)

	// The SDKv2 and Framework halves each serve some resources (the security group rules are
	// Framework ones): the muxer's dispatch table, which `make tfgen` would precompute.
	resolver, ok := p.(interface {
		ResolveDispatch(*tfbridge.ProviderInfo) (muxer.DispatchTable, error)
	})
	if !ok {
		return info, fmt.Errorf("the muxed provider cannot resolve its dispatch table")
	}
	dispatch, err := resolver.ResolveDispatch(&info)
	if err != nil {
		return info, err
	}
	if err := metadata.Set(info.GetMetadata(), "mux", dispatch); err != nil {
		return info, err
	}
	return info, nil
}

func packageSchema(info tfbridge.ProviderInfo) ([]byte, error) {
	sink := diag.DefaultSink(io.Discard, os.Stderr, diag.FormatOptions{Color: colors.Never})
	res, err := tfgen.GenerateSchemaWithOptions(tfgen.GenerateSchemaOptions{
		ProviderInfo:    info,
		DiagnosticsSink: sink,
		XInMemoryDocs:   true, // the schema's descriptions only; no docs repository is read
	})
	if err != nil {
		return nil, err
	}
	return json.Marshal(res.PackageSpec)
}

func main() {
	if len(os.Args) == 2 && os.Args[1] == "-version" {
		fmt.Println(version)
		return
	}
	ctx := context.Background()
	info, err := providerInfo(ctx)
	if err != nil {
		cmdutil.ExitError(err.Error())
	}
	if len(os.Args) == 2 && os.Args[1] == "-schema" {
		// The package schema on stdout: the same GetSchema answers, without starting a server.
		out, err := packageSchema(info)
		if err != nil {
			cmdutil.ExitError(err.Error())
		}
		_, _ = os.Stdout.Write(out)
		return
	}
	schema, err := packageSchema(info)
	if err != nil {
		cmdutil.ExitError(err.Error())
	}
	serve := pftfbridge.MakeMuxedServer(ctx, "aws", info, schema)
	err = rprovider.Main("aws", func(host *rprovider.HostClient) (pulumirpc.ResourceProviderServer, error) {
		inner, err := serve(host)
		if err != nil {
			return nil, err
		}
		return newOffline(inner, os.Getenv("KURL_AWS_LOOKUPS")), nil
	})
	if err != nil {
		cmdutil.ExitError(err.Error())
	}
}
