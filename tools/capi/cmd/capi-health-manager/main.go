// Command capi-health-manager runs Cluster API's own MachineHealthCheck
// controller (and, with --machineset, its MachineSet controller) against the
// API server of any kubeconfig. This file is wiring only: which reconcilers
// run, with which client, cache and indexes. Every health decision (targets,
// conditions, timeouts, maxUnhealthy, remediation) is made by the upstream
// code in sigs.k8s.io/cluster-api.
//
// See ../../README.md for what the API server must provide.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"go.uber.org/zap/zapcore"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/sets"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	clusterv1 "sigs.k8s.io/cluster-api/api/v1beta1"
	"sigs.k8s.io/cluster-api/api/v1beta1/index"
	"sigs.k8s.io/cluster-api/controllers"
	"sigs.k8s.io/cluster-api/controllers/clustercache"
	"sigs.k8s.io/cluster-api/controllers/remote"
)

const name = "capi-health-manager"

type options struct {
	kubeconfig        string
	namespace         string
	metricsAddr       string
	probeAddr         string
	machineSet        bool
	watchFilter       string
	syncPeriod        time.Duration
	concurrency       int
	shutdownTimeout   time.Duration
	exitWithParent    bool
	version           bool
	preflightChecks   string
	clusterCacheQPS   float64
	clusterCacheBurst int
}

// clusterAPIVersion is the version of sigs.k8s.io/cluster-api linked in.
var clusterAPIVersion = func() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, m := range bi.Deps {
			if m.Path == "sigs.k8s.io/cluster-api" {
				return m.Version
			}
		}
	}
	return "unknown"
}()

func main() {
	os.Exit(run())
}

func run() int {
	var o options
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(os.Stderr)
	fs.Usage = func() {
		fmt.Fprintf(os.Stderr, "Usage: %s [flags]\n\nRuns Cluster API's MachineHealthCheck controller (and optionally its MachineSet controller) against a kubeconfig.\n\nFlags:\n", name)
		fs.PrintDefaults()
	}
	fs.StringVar(&o.kubeconfig, "kubeconfig", "", "kubeconfig of the management cluster (default: $KUBECONFIG, then ~/.kube/config)")
	fs.StringVar(&o.namespace, "namespace", "", "watch only this namespace (default: all namespaces)")
	fs.StringVar(&o.metricsAddr, "metrics-bind-address", "0", `address of the plain-HTTP metrics endpoint, e.g. 127.0.0.1:8080; "0" turns it off`)
	fs.StringVar(&o.probeAddr, "health-probe-bind-address", "0", `address of /healthz and /readyz, e.g. 127.0.0.1:8081; "0" turns it off`)
	fs.BoolVar(&o.machineSet, "machineset", false, "also run the MachineSet controller (remediates Machines owned by a MachineSet; see README for its limits here)")
	fs.StringVar(&o.preflightChecks, "machineset-preflight-checks", "", `MachineSet preflight checks before scale-up, comma separated ("All", "KubeadmVersionSkew", ...); empty: none`)
	fs.StringVar(&o.watchFilter, "watch-filter", "", "only reconcile objects labelled cluster.x-k8s.io/watch-filter=<value> (upstream's --watch-filter)")
	fs.DurationVar(&o.syncPeriod, "sync-period", 10*time.Minute, "informer resync period (upstream's default)")
	fs.IntVar(&o.concurrency, "concurrency", 10, "concurrent reconciles per controller (upstream's default)")
	fs.Float64Var(&o.clusterCacheQPS, "clustercache-client-qps", 20, "QPS of the clients ClusterCache makes for workload clusters")
	fs.IntVar(&o.clusterCacheBurst, "clustercache-client-burst", 30, "burst of the clients ClusterCache makes for workload clusters")
	fs.DurationVar(&o.shutdownTimeout, "graceful-shutdown-timeout", 5*time.Second, "how long controllers get to stop after SIGTERM/SIGINT")
	fs.BoolVar(&o.exitWithParent, "exit-with-parent", true, "stop when the parent process dies (its pid changes)")
	fs.BoolVar(&o.version, "version", false, "print the Cluster API version linked in and exit")
	// Defaults the zap flags can override: ISO 8601 times, and no multi-line
	// stack traces on every reconcile error (upstream logs one each time a
	// MachineHealthCheck is reconciled before ClusterCache has connected).
	zapOpts := zap.Options{DestWriter: os.Stderr, TimeEncoder: zapcore.ISO8601TimeEncoder, StacktraceLevel: zapcore.PanicLevel}
	zapOpts.BindFlags(fs)
	if err := fs.Parse(os.Args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "%s: unexpected arguments: %v\n", name, fs.Args())
		return 2
	}
	if o.version {
		fmt.Printf("%s cluster-api %s\n", name, clusterAPIVersion)
		return 0
	}
	logOpts := []zap.Opts{zap.UseFlagOptions(&zapOpts)}
	if !flagSet(fs, "zap-encoder") {
		logOpts = append(logOpts, zap.ConsoleEncoder()) // human-readable lines unless --zap-encoder=json
	}
	logger := zap.New(logOpts...)
	ctrl.SetLogger(logger)
	klog.SetLogger(logger)
	log := logger.WithName("setup")

	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	stopOnSignals(ctx, cancel)
	if o.exitWithParent {
		watchParent(ctx, cancel)
	}

	if err := start(ctx, o); err != nil {
		log.Error(err, "manager failed")
		return 1
	}
	if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) {
		log.Info("stopped", "reason", cause.Error())
	}
	return 0
}

// stopOnSignals cancels ctx on the first SIGTERM/SIGINT and exits at once on
// the second.
func stopOnSignals(ctx context.Context, cancel context.CancelCauseFunc) {
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		s := <-ch
		cancel(fmt.Errorf("received %v", s))
		select {
		case s = <-ch:
			fmt.Fprintf(os.Stderr, "%s: second %v, exiting now\n", name, s)
			os.Exit(1)
		case <-time.After(time.Minute):
		}
	}()
}

// watchParent cancels ctx when the process that started us is gone: on Linux
// an orphan is re-parented (to init or a subreaper), so the parent pid changes.
func watchParent(ctx context.Context, cancel context.CancelCauseFunc) {
	parent := os.Getppid()
	if parent <= 1 {
		return // started by init or already orphaned: nothing to watch
	}
	go func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if now := os.Getppid(); now != parent {
					cancel(fmt.Errorf("parent process %d exited (parent is now %d)", parent, now))
					return
				}
			}
		}
	}()
}

func start(ctx context.Context, o options) error {
	log := ctrl.Log.WithName("setup")

	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		return err
	}
	if err := clusterv1.AddToScheme(scheme); err != nil {
		return err
	}

	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = o.kubeconfig
	restConfig, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{}).ClientConfig()
	if err != nil {
		return fmt.Errorf("loading kubeconfig: %w", err)
	}
	restConfig.QPS, restConfig.Burst = 20, 30
	restConfig.UserAgent = remote.DefaultClusterAPIUserAgent(name)

	var namespaces map[string]cache.Config
	if o.namespace != "" {
		namespaces = map[string]cache.Config{o.namespace: {}}
	}
	syncPeriod := o.syncPeriod
	shutdown := o.shutdownTimeout
	mgr, err := ctrl.NewManager(restConfig, ctrl.Options{
		Scheme:                  scheme,
		LeaderElection:          false,
		HealthProbeBindAddress:  o.probeAddr,
		Metrics:                 metricsserver.Options{BindAddress: o.metricsAddr},
		GracefulShutdownTimeout: &shutdown,
		Cache: cache.Options{
			DefaultNamespaces: namespaces,
			SyncPeriod:        &syncPeriod,
		},
		Client: client.Options{
			Cache: &client.CacheOptions{
				// As upstream's manager: never cache Secrets and ConfigMaps
				// cluster-wide; read unstructured objects (remediation
				// templates) through the cache.
				DisableFor:   []client.Object{&corev1.ConfigMap{}, &corev1.Secret{}},
				Unstructured: true,
			},
		},
	})
	if err != nil {
		return fmt.Errorf("creating the manager: %w", err)
	}
	if o.probeAddr != "" && o.probeAddr != "0" {
		if err := mgr.AddHealthzCheck("ping", healthz.Ping); err != nil {
			return err
		}
		if err := mgr.AddReadyzCheck("ping", healthz.Ping); err != nil {
			return err
		}
	}

	// Field indexes the controllers list by. Upstream's AddDefaultIndexes
	// also indexes MachinePools, whose CRD we do not require; the Machine
	// ones are what the MachineHealthCheck and MachineSet controllers use.
	if err := index.ByMachineNode(ctx, mgr); err != nil {
		return fmt.Errorf("index Machine by node: %w", err)
	}
	if err := index.ByMachineProviderID(ctx, mgr); err != nil {
		return fmt.Errorf("index Machine by providerID: %w", err)
	}

	// ClusterCache: one client + cache per workload Cluster, built from the
	// Secret <cluster>-kubeconfig. Secrets are read live (not cached), so the
	// Secret needs no cluster-name label here (upstream's manager caches only
	// labelled Secrets; label it anyway to stay compatible).
	clusterCache, err := clustercache.SetupWithManager(ctx, mgr, clustercache.Options{
		SecretClient:     mgr.GetAPIReader(),
		WatchFilterValue: o.watchFilter,
		Cache: clustercache.CacheOptions{
			Indexes: []clustercache.CacheOptionsIndex{clustercache.NodeProviderIDIndex},
		},
		Client: clustercache.ClientOptions{
			QPS:       float32(o.clusterCacheQPS),
			Burst:     o.clusterCacheBurst,
			UserAgent: remote.DefaultClusterAPIUserAgent(name),
			Cache: clustercache.ClientCacheOptions{
				DisableFor: []client.Object{&corev1.ConfigMap{}, &corev1.Secret{}, &corev1.Pod{}},
			},
		},
	}, controller.Options{MaxConcurrentReconciles: o.concurrency})
	if err != nil {
		return fmt.Errorf("setting up ClusterCache: %w", err)
	}

	if err := (&controllers.MachineHealthCheckReconciler{
		Client:           mgr.GetClient(),
		ClusterCache:     clusterCache,
		WatchFilterValue: o.watchFilter,
	}).SetupWithManager(ctx, mgr, controller.Options{MaxConcurrentReconciles: o.concurrency}); err != nil {
		return fmt.Errorf("setting up the MachineHealthCheck controller: %w", err)
	}
	controllersOn := []string{"machinehealthcheck"}

	if o.machineSet {
		checks, err := parsePreflightChecks(o.preflightChecks)
		if err != nil {
			return err
		}
		if err := (&controllers.MachineSetReconciler{
			Client:           mgr.GetClient(),
			APIReader:        mgr.GetAPIReader(),
			ClusterCache:     clusterCache,
			PreflightChecks:  checks,
			WatchFilterValue: o.watchFilter,
		}).SetupWithManager(ctx, mgr, controller.Options{MaxConcurrentReconciles: o.concurrency}); err != nil {
			return fmt.Errorf("setting up the MachineSet controller: %w", err)
		}
		controllersOn = append(controllersOn, "machineset")
	}

	log.Info("starting", "server", restConfig.Host, "namespace", o.namespace, "controllers", controllersOn,
		"clusterAPI", clusterAPIVersion, "pid", os.Getpid(), "parent", os.Getppid())
	return mgr.Start(ctx)
}

func parsePreflightChecks(s string) (sets.Set[clusterv1.MachineSetPreflightCheck], error) {
	known := sets.New(
		clusterv1.MachineSetPreflightCheckAll,
		clusterv1.MachineSetPreflightCheckKubeadmVersionSkew,
		clusterv1.MachineSetPreflightCheckKubernetesVersionSkew,
		clusterv1.MachineSetPreflightCheckControlPlaneIsStable,
		clusterv1.MachineSetPreflightCheckControlPlaneVersionSkew,
	)
	out := sets.New[clusterv1.MachineSetPreflightCheck]()
	for _, c := range splitComma(s) {
		check := clusterv1.MachineSetPreflightCheck(c)
		if !known.Has(check) {
			return nil, fmt.Errorf("unknown --machineset-preflight-checks value %q (known: %v)", c, sets.List(known))
		}
		out.Insert(check)
	}
	return out, nil
}

func splitComma(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func flagSet(fs *flag.FlagSet, name string) bool {
	found := false
	fs.Visit(func(f *flag.Flag) { found = found || f.Name == name })
	return found
}
