//go:build tools

// Package tools pins the command built by build.sh so that `go mod tidy`
// keeps its whole dependency graph in go.mod/go.sum. Never compiled.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
)
