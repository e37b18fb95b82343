//go:build tools

// Package tools pins the etcd server command (go.etcd.io/etcd/server/v3 is
// itself `package main`, calling etcdmain.Main) so that `go mod tidy` keeps
// its dependency graph in go.mod/go.sum. Never compiled.
package tools

import (
	_ "go.etcd.io/etcd/server/v3"
)
