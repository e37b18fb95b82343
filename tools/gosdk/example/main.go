// Command example creates a KataConfig on the embedded cluster twin through the generated Go SDK
// (sdk/go), as an Automation API inline program: the program is a Go function run in this
// process, so no Go language host is needed, only the Pulumi CLI and the provider plugin
// pulumi-resource-cluster-runtime on PATH.
//
//	go run . [-state DIR] [-fixture FILE] up|preview|destroy
//
// State goes to a local file backend under -state (default ./.state), with a fixed passphrase,
// no update check and no plugin downloads.
package main

import (
	"context"
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

func main() {
	state := flag.String("state", ".state", "directory of the file backend, PULUMI_HOME and the twin's state")
	fixture := flag.String("fixture", "fixtures/two-workers.yaml", "the embedded twin's fixture (relative to the working directory)")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: example [-state DIR] [-fixture FILE] up|preview|destroy")
		os.Exit(2)
	}
	if err := run(context.Background(), flag.Arg(0), *state, *fixture); err != nil {
		fmt.Fprintln(os.Stderr, "example:", err)
		os.Exit(1)
	}
}

// program is the Pulumi program: one KataConfig on the twin, and its outcome as stack outputs.
func program(fixture, twinState string) pulumi.RunFunc {
	return func(ctx *pulumi.Context) error {
		kata, err := newKataConfig(ctx, fixture, twinState)
		if err != nil {
			return err
		}
		ctx.Export("runtimeClassName", kata.RuntimeClassName)
		ctx.Export("readyNodeCount", kata.Status.KataNodes().ReadyNodeCount())
		return nil
	}
}

// newKataConfig installs kata on every worker of the twin opened from fixture.
func newKataConfig(ctx *pulumi.Context, fixture, twinState string) (*clusterruntime.KataConfig, error) {
	return clusterruntime.NewKataConfig(ctx, "sandboxed", &clusterruntime.KataConfigArgs{
		Metadata: clusterruntime.KataConfigMetadataArgs{Name: pulumi.String("example-kataconfig")},
		Spec:     clusterruntime.KataConfigSpecArgs{LogLevel: pulumi.String("info")},
		Cluster: clusterruntime.ClusterArgs{
			Embedded: clusterruntime.ClusterEmbeddedArgs{
				Fixture:   pulumi.String(fixture),
				StateFile: pulumi.String(twinState),
			},
		},
		Timeouts: clusterruntime.TimeoutsArgs{Create: pulumi.String("60m"), Delete: pulumi.String("60m")},
	})
}

func run(ctx context.Context, op, state, fixture string) error {
	state, err := filepath.Abs(state)
	if err != nil {
		return err
	}
	fixture, err = filepath.Abs(fixture)
	if err != nil {
		return err
	}
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
		program(fixture, filepath.Join(state, "twin.json")),
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
		for name, out := range res.Outputs {
			fmt.Printf("%s = %v\n", name, out.Value)
		}
	case "preview":
		_, err = stack.Preview(ctx, optpreview.ProgressStreams(os.Stdout))
	case "destroy":
		_, err = stack.Destroy(ctx, optdestroy.ProgressStreams(os.Stdout))
	default:
		err = fmt.Errorf("unknown operation %q: want up, preview or destroy", op)
	}
	return err
}
