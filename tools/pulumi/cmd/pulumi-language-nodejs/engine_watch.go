package main

import (
	"context"
	"os"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
)

// How often the host looks for its engine. Upstream hosts check every 5 minutes, so a host whose
// engine was killed lingers (with the program it runs) for up to that long; a health call a second
// on loopback costs nothing.
const engineCheckInterval = time.Second

// watchEngine calls gone once the engine that started this host goes away: its health service
// stops answering, or this process's parent changes (the engine was killed and the host was
// reparented; the CLI starts plugins in their own process groups, so no signal reaches them).
func watchEngine(ctx context.Context, engineAddress string, gone context.CancelFunc) error {
	if err := rpcutil.Healthcheck(ctx, engineAddress, engineCheckInterval, gone); err != nil {
		return err
	}
	parent := os.Getppid()
	go func() {
		ticker := time.NewTicker(engineCheckInterval)
		defer ticker.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-ticker.C:
				if os.Getppid() != parent {
					gone()
					return
				}
			}
		}
	}()
	return nil
}
