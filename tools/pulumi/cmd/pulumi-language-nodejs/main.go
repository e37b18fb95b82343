// Command pulumi-language-nodejs is a minimal Node.js language host for the
// Pulumi engine.
//
// Why it exists: the upstream language host lives in its own untagged Go
// module (sdk/nodejs/cmd/pulumi-language-nodejs/v3) that the Go module proxy
// reachable from our machines does not serve, so it cannot be built from Go
// modules here. This host implements the part of the LanguageRuntime gRPC
// service that `pulumi preview/up/refresh/destroy` need for a Node.js
// (TypeScript) program: it starts `node @pulumi/pulumi/cmd/run` (resolved from
// the program directory) with the flags and environment variables that the
// @pulumi/pulumi npm package documents in cmd/run/index.js and reads in
// cmd/run/run.js and runtime/config.js. It also implements GeneratePackage
// (generate_package.go) for `pulumi package gen-sdk --language nodejs`.
// Everything else (install, about, program codegen, RunPlugin, ...) answers
// Unimplemented, which the engine tolerates.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/cmdutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/logging"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/version"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"
)

const (
	// Module the node process runs; overridable like upstream for tests.
	defaultRunModule = "@pulumi/pulumi/cmd/run"
	// Exit code the Node SDK uses after it already printed an actionable error
	// (cmd/run/index.js: nodeJSProcessExitedAfterLoggingUserActionableMessage).
	exitCodeAlreadyReported = 32
	// How long a program gets to end after SIGTERM before it is killed.
	programStopGrace = 5 * time.Second
)

func main() {
	var tracing, root, tsconfig, nodeargs string
	var typescript bool
	// Flags accepted for compatibility with engines that still pass runtime
	// options on the command line; current engines send them in RunRequest.Info.
	flag.StringVar(&tracing, "tracing", "", "Emit tracing to a Zipkin-compatible tracing endpoint")
	flag.BoolVar(&typescript, "typescript", true, "Use ts-node at runtime to support TypeScript source natively")
	flag.StringVar(&root, "root", "", "Project root path to use")
	flag.StringVar(&tsconfig, "tsconfig", "", "Path to tsconfig.json to use")
	flag.StringVar(&nodeargs, "nodeargs", "", "Arguments for the Node process")
	flag.Parse()
	logging.InitLogging(false, 0, false)

	var engineAddress string
	if args := flag.Args(); len(args) > 0 {
		engineAddress = args[0]
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if engineAddress != "" {
		// Exit when the engine goes away, stopping the program, so nothing is left behind.
		if err := watchEngine(ctx, engineAddress, cancel); err != nil {
			cmdutil.Exit(fmt.Errorf("could not start health check host RPC server: %w", err))
		}
	}
	cancelChannel := make(chan bool)
	go func() {
		<-ctx.Done()
		close(cancelChannel)
	}()

	host := &nodeLanguageHost{
		lifetime:      ctx,
		engineAddress: engineAddress,
		tracing:       tracing,
		defaults: runtimeOptions{
			typescript: typescript,
			tsconfig:   tsconfig,
			nodeargs:   nodeargs,
		},
	}
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Cancel: cancelChannel,
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, host)
			return nil
		},
	})
	if err != nil {
		cmdutil.Exit(fmt.Errorf("could not start language host RPC server: %w", err))
	}
	// The engine reads the port from our first line of stdout.
	fmt.Printf("%d\n", handle.Port)
	err = <-handle.Done
	// A program still running is stopped with the host (SIGTERM, then SIGKILL): wait for it.
	host.programs.Wait()
	if err != nil {
		cmdutil.Exit(fmt.Errorf("language host RPC stopped serving: %w", err))
	}
}

type runtimeOptions struct {
	typescript bool
	tsconfig   string
	nodeargs   string
}

type nodeLanguageHost struct {
	pulumirpc.UnimplementedLanguageRuntimeServer

	mu sync.Mutex
	// Cancelled when the engine is gone: every program this host started is stopped then.
	lifetime context.Context
	programs sync.WaitGroup
	engineAddress string
	tracing       string
	defaults      runtimeOptions
}

func (host *nodeLanguageHost) Handshake(
	_ context.Context, req *pulumirpc.LanguageHandshakeRequest,
) (*pulumirpc.LanguageHandshakeResponse, error) {
	host.mu.Lock()
	defer host.mu.Unlock()
	if req.GetEngineAddress() != "" {
		host.engineAddress = req.GetEngineAddress()
	}
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

func (host *nodeLanguageHost) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version.Version}, nil
}

// GetRequiredPlugins lists resource plugins of npm packages installed under the
// program directory (package.json with "pulumi": {"resource": true}).
func (host *nodeLanguageHost) GetRequiredPlugins(
	_ context.Context, req *pulumirpc.GetRequiredPluginsRequest,
) (*pulumirpc.GetRequiredPluginsResponse, error) {
	dir := req.GetInfo().GetProgramDirectory()
	if dir == "" {
		dir = req.GetProgram()
	}
	var plugins []*pulumirpc.PluginDependency
	seen := map[string]bool{}
	if dir != "" {
		collectPlugins(filepath.Join(dir, "node_modules"), seen, &plugins, 0)
	}
	return &pulumirpc.GetRequiredPluginsResponse{Plugins: plugins}, nil
}

type packageJSON struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Pulumi  struct {
		Resource bool   `json:"resource"`
		Name     string `json:"name"`
		Version  string `json:"version"`
		Server   string `json:"server"`
	} `json:"pulumi"`
}

func collectPlugins(nodeModules string, seen map[string]bool, out *[]*pulumirpc.PluginDependency, depth int) {
	if depth > 8 {
		return
	}
	entries, err := os.ReadDir(nodeModules)
	if err != nil {
		return
	}
	var pkgDirs []string
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") {
			continue
		}
		p := filepath.Join(nodeModules, name)
		if strings.HasPrefix(name, "@") {
			scoped, err := os.ReadDir(p)
			if err != nil {
				continue
			}
			for _, s := range scoped {
				pkgDirs = append(pkgDirs, filepath.Join(p, s.Name()))
			}
			continue
		}
		pkgDirs = append(pkgDirs, p)
	}
	for _, dir := range pkgDirs {
		b, err := os.ReadFile(filepath.Join(dir, "package.json"))
		if err == nil {
			var info packageJSON
			if json.Unmarshal(b, &info) == nil && info.Pulumi.Resource {
				name := info.Pulumi.Name
				if name == "" {
					name = strings.TrimPrefix(strings.TrimPrefix(info.Name, "@pulumi/"), "@")
				}
				v := info.Pulumi.Version
				if v == "" {
					v = info.Version
				}
				if v != "" && !strings.HasPrefix(v, "v") {
					v = "v" + v
				}
				key := name + "@" + v
				if name != "" && !seen[key] {
					seen[key] = true
					*out = append(*out, &pulumirpc.PluginDependency{
						Name: name, Kind: "resource", Version: v, Server: info.Pulumi.Server,
					})
				}
			}
		}
		collectPlugins(filepath.Join(dir, "node_modules"), seen, out, depth+1)
	}
}

// options merges Pulumi.yaml `runtime.options` (sent in RunRequest.Info) over
// the command-line defaults.
func (host *nodeLanguageHost) options(info *pulumirpc.ProgramInfo) runtimeOptions {
	opts := host.defaults
	if info == nil || info.GetOptions() == nil {
		return opts
	}
	m := info.GetOptions().AsMap()
	if v, ok := m["typescript"].(bool); ok {
		opts.typescript = v
	}
	if v, ok := m["tsconfig"].(string); ok {
		opts.tsconfig = v
	}
	if v, ok := m["nodeargs"].(string); ok {
		opts.nodeargs = v
	}
	return opts
}

func (host *nodeLanguageHost) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	host.mu.Lock()
	engineAddress := host.engineAddress
	host.mu.Unlock()

	pwd := req.GetPwd()
	if pwd == "" {
		pwd = req.GetInfo().GetProgramDirectory()
	}
	if pwd == "" {
		var err error
		if pwd, err = os.Getwd(); err != nil {
			return nil, err
		}
	}
	opts := host.options(req.GetInfo())

	nodeBin, err := exec.LookPath("node")
	if err != nil {
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("could not find node on the $PATH: %v", err)}, nil
	}
	runModule := os.Getenv("PULUMI_LANGUAGE_NODEJS_RUN_PATH")
	if runModule == "" {
		runModule = defaultRunModule
	}
	runPath, err := resolveModule(ctx, nodeBin, pwd, runModule)
	if err != nil {
		return &pulumirpc.RunResponse{Error: fmt.Sprintf(
			"It looks like the Pulumi SDK has not been installed (cannot resolve %s from %s). "+
				"Have you run npm install? %v", runModule, pwd, err)}, nil
	}

	var args []string
	args = append(args, strings.Fields(opts.nodeargs)...)
	args = append(args, runPath)
	flagArg := func(k, v string) {
		if v != "" {
			args = append(args, "--"+k, v)
		}
	}
	flagArg("monitor", req.GetMonitorAddress())
	flagArg("engine", engineAddress)
	flagArg("organization", req.GetOrganization())
	flagArg("project", req.GetProject())
	flagArg("root-directory", req.GetInfo().GetRootDirectory())
	flagArg("stack", req.GetStack())
	flagArg("pwd", pwd)
	if req.GetDryRun() {
		args = append(args, "--dry-run")
	}
	flagArg("parallel", strconv.Itoa(int(req.GetParallel())))
	flagArg("tracing", host.tracing)
	program := req.GetProgram()
	if program == "" {
		program = req.GetInfo().GetEntryPoint()
	}
	if program == "" {
		program = "."
	}
	args = append(args, program)
	args = append(args, req.GetArgs()...)

	configJSON, err := json.Marshal(nonNilMap(req.GetConfig()))
	if err != nil {
		return nil, fmt.Errorf("serializing config: %w", err)
	}
	secretKeys := append([]string{}, req.GetConfigSecretKeys()...)
	sort.Strings(secretKeys)
	secretKeysJSON, err := json.Marshal(secretKeys)
	if err != nil {
		return nil, fmt.Errorf("serializing config secret keys: %w", err)
	}

	env := os.Environ()
	env = append(env,
		"PULUMI_CONFIG="+string(configJSON),
		"PULUMI_CONFIG_SECRET_KEYS="+string(secretKeysJSON),
	)
	if opts.typescript {
		env = append(env, "PULUMI_NODEJS_TYPESCRIPT=true")
	}
	if opts.tsconfig != "" {
		env = append(env, "PULUMI_NODEJS_TSCONFIG_PATH="+opts.tsconfig)
	}

	logging.V(5).Infof("language host launching: %s %s", nodeBin, strings.Join(args, " "))
	host.programs.Add(1)
	defer host.programs.Done()
	// The program ends with the request or with the host (when the engine goes away).
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	go func() {
		select {
		case <-host.lifetime.Done():
			stop()
		case <-runCtx.Done():
		}
	}()
	cmd := exec.CommandContext(runCtx, nodeBin, args...)
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = programStopGrace
	cmd.Dir = pwd
	cmd.Env = env
	cmd.Stdout = os.Stdout
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			if exitErr.ExitCode() == exitCodeAlreadyReported {
				return &pulumirpc.RunResponse{Bail: true}, nil
			}
			return &pulumirpc.RunResponse{
				Error: fmt.Sprintf("Program exited with non-zero exit code: %d", exitErr.ExitCode()),
			}, nil
		}
		return &pulumirpc.RunResponse{
			Error: fmt.Sprintf("Problem executing program (could not run language executor): %v", err),
		}, nil
	}
	return &pulumirpc.RunResponse{}, nil
}

func nonNilMap(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// resolveModule resolves a module specifier the way the program itself would:
// with node's require.resolve, starting from the program directory.
func resolveModule(ctx context.Context, nodeBin, dir, module string) (string, error) {
	cmd := exec.CommandContext(ctx, nodeBin, "-e", "console.log(require.resolve(process.argv[1]))", module)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			return "", fmt.Errorf("%w: %s", err, strings.TrimSpace(string(exitErr.Stderr)))
		}
		return "", err
	}
	return strings.TrimSpace(string(out)), nil
}
