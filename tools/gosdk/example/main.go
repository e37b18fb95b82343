// Command example creates a KataConfig and a MachineHealthCheck on the embedded cluster twin through
// the generated Go SDK (sdk/go), as an Automation API inline program: the program is a Go function
// run in this process, so no Go language host is needed, only the Pulumi CLI and the provider plugin
// pulumi-resource-cluster-runtime on PATH (npm run tools prints the directory holding both).
//
//	go run . [-state DIR] [-fixtures DIR] [-max-unhealthy 40%] [-virtual-time] up|preview|destroy
//
// State goes to a local file backend under -state (default ./.state), with a fixed passphrase,
// no update check and no plugin downloads; the twins' state files go there too. `up` prints the
// stack outputs as one JSON line "outputs: {...}", `preview` the change summary as "changes: {...}".
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/pulumi-cluster-runtime/pulumi-cluster-runtime/sdk/go/clusterruntime"
	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optdestroy"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// settings are what the program is told: where the twins' fixtures and state live, how fast their
// time goes, and the health policy's maxUnhealthy (change it to preview a policy change).
type settings struct {
	fixtures     string
	twinDir      string
	virtualTime  bool
	maxUnhealthy string
}

func main() {
	state := flag.String("state", ".state", "directory of the file backend, PULUMI_HOME and the twins' state")
	fixtures := flag.String("fixtures", "fixtures", "the directory of the twins' fixtures (two-workers.yaml, capi-quickstart.yaml)")
	maxUnhealthy := flag.String("max-unhealthy", "40%", "the workers MachineHealthCheck's maxUnhealthy")
	virtualTime := flag.Bool("virtual-time", false, "the twins' time moves only while a resource waits (tests); default 60 times the wall clock")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: example [-state DIR] [-fixtures DIR] [-max-unhealthy 40%] [-virtual-time] up|preview|destroy")
		os.Exit(2)
	}
	if err := run(context.Background(), flag.Arg(0), *state, settings{fixtures: *fixtures, virtualTime: *virtualTime, maxUnhealthy: *maxUnhealthy}); err != nil {
		fmt.Fprintln(os.Stderr, "example:", err)
		os.Exit(1)
	}
}

// program is the Pulumi program: the quickstart's two resources, and their outcome as stack outputs.
func program(s settings) pulumi.RunFunc {
	return func(ctx *pulumi.Context) error {
		kata, err := newKataConfig(ctx, s)
		if err != nil {
			return err
		}
		workers, err := newMachineHealthCheck(ctx, s)
		if err != nil {
			return err
		}
		ctx.Export("runtimeClassName", kata.RuntimeClassName)
		ctx.Export("readyNodeCount", kata.Status.KataNodes().ReadyNodeCount())
		ctx.Export("remediationsAllowed", workers.Report.RemediationsAllowed())
		return nil
	}
}

func twin(s settings, fixture string) clusterruntime.ClusterArgs {
	return clusterruntime.ClusterArgs{
		Embedded: clusterruntime.ClusterEmbeddedArgs{
			Fixture:     pulumi.String(filepath.Join(s.fixtures, fixture+".yaml")),
			StateFile:   pulumi.String(filepath.Join(s.twinDir, fixture+".json")),
			VirtualTime: pulumi.BoolPtr(s.virtualTime),
		},
	}
}

// newKataConfig installs kata on every worker of the two-workers twin.
func newKataConfig(ctx *pulumi.Context, s settings) (*clusterruntime.KataConfig, error) {
	return clusterruntime.NewKataConfig(ctx, "sandboxed", &clusterruntime.KataConfigArgs{
		Metadata: clusterruntime.KataConfigMetadataArgs{Name: pulumi.String("example-kataconfig")},
		Spec:     clusterruntime.KataConfigSpecArgs{LogLevel: pulumi.String("info")},
		Cluster:  twin(s, "two-workers"),
		Timeouts: clusterruntime.TimeoutsArgs{Create: pulumi.String("60m"), Delete: pulumi.String("60m")},
	})
}

// newMachineHealthCheck is the seed's workers health check on the capi-quickstart twin.
func newMachineHealthCheck(ctx *pulumi.Context, s settings) (*clusterruntime.MachineHealthCheck, error) {
	condition := func(status string) clusterruntime.MachineHealthCheckSpecUnhealthyConditionArgs {
		return clusterruntime.MachineHealthCheckSpecUnhealthyConditionArgs{Type: pulumi.String("Ready"), Status: pulumi.String(status), Timeout: pulumi.String("300s")}
	}
	return clusterruntime.NewMachineHealthCheck(ctx, "workers", &clusterruntime.MachineHealthCheckArgs{
		Metadata: clusterruntime.MachineHealthCheckMetadataArgs{Name: pulumi.String("capi-quickstart-node-unhealthy-5m"), Namespace: pulumi.String("default")},
		Spec: clusterruntime.MachineHealthCheckSpecArgs{
			ClusterName:         pulumi.String("capi-quickstart"),
			MaxUnhealthy:        pulumi.String(s.maxUnhealthy),
			NodeStartupTimeout:  pulumi.String("10m"),
			Selector:            clusterruntime.MachineHealthCheckSpecSelectorArgs{MatchLabels: pulumi.StringMap{"nodepool": pulumi.String("nodepool-0")}},
			UnhealthyConditions: clusterruntime.MachineHealthCheckSpecUnhealthyConditionArray{condition("Unknown"), condition("False")},
		},
		Cluster: twin(s, "capi-quickstart"),
	})
}

func run(ctx context.Context, op, state string, s settings) error {
	state, err := filepath.Abs(state)
	if err != nil {
		return err
	}
	if s.fixtures, err = filepath.Abs(s.fixtures); err != nil {
		return err
	}
	s.twinDir = filepath.Join(state, "twin")
	backend := filepath.Join(state, "backend")
	work := filepath.Join(state, "work")
	for _, dir := range []string{backend, work, filepath.Join(state, "home")} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	env := map[string]string{
		"PULUMI_HOME":                                 filepath.Join(state, "home"),
		"PULUMI_CONFIG_PASSPHRASE":                    "pulumi-cluster-runtime-local",
		"PULUMI_SKIP_UPDATE_CHECK":                    "1",
		"PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "1",
		"PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK":    "1",
	}
	project := workspace.Project{
		Name:    tokens.PackageName("cluster-runtime-go-example"),
		Runtime: workspace.NewProjectRuntimeInfo("go", nil),
		Backend: &workspace.ProjectBackend{URL: "file://" + backend},
	}
	stack, err := auto.UpsertStackInlineSource(ctx, "dev", string(project.Name),
		program(s),
		auto.Project(project), auto.WorkDir(work), auto.EnvVars(env), auto.SecretsProvider("passphrase"))
	if err != nil {
		return err
	}
	switch op {
	case "up":
		res, err := stack.Up(ctx, optup.ProgressStreams(os.Stdout))
		if err != nil {
			return err
		}
		outputs := map[string]any{}
		for name, out := range res.Outputs {
			outputs[name] = out.Value
		}
		return printJSON("outputs", outputs)
	case "preview":
		res, err := stack.Preview(ctx, optpreview.ProgressStreams(os.Stdout), optpreview.Diff())
		if err != nil {
			return err
		}
		return printJSON("changes", res.ChangeSummary)
	case "destroy":
		_, err = stack.Destroy(ctx, optdestroy.ProgressStreams(os.Stdout))
	default:
		err = fmt.Errorf("unknown operation %q: want up, preview or destroy", op)
	}
	return err
}

func printJSON(label string, value any) error {
	text, err := json.Marshal(value)
	if err != nil {
		return err
	}
	fmt.Printf("%s: %s\n", label, text)
	return nil
}
