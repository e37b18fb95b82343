package main

import (
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// mocks plays the engine and the provider: it records what the program registers and answers a
// KataConfig whose status says two ready nodes.
type mocks struct {
	mu   sync.Mutex
	regs []pulumi.MockResourceArgs
}

func (m *mocks) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	m.mu.Lock()
	m.regs = append(m.regs, args)
	m.mu.Unlock()
	outs := args.Inputs.Copy()
	outs["runtimeClassName"] = resource.NewStringProperty("kata")
	outs["status"] = resource.NewObjectProperty(resource.PropertyMap{
		"kataNodes": resource.NewObjectProperty(resource.PropertyMap{
			"nodeCount":      resource.NewNumberProperty(2),
			"readyNodeCount": resource.NewNumberProperty(2),
		}),
	})
	return args.Name + "-id", outs, nil
}

func (m *mocks) Call(pulumi.MockCallArgs) (resource.PropertyMap, error) {
	return resource.PropertyMap{}, nil
}

// The program, against the generated SDK, registers cluster-runtime:index:KataConfig and
// cluster-runtime:index:MachineHealthCheck with the plugin version of schema.json, their inputs under
// their schema names, the cluster as a secret, and reads typed outputs back.
func TestProgramRegistersBothResources(t *testing.T) {
	m := &mocks{}
	var runtimeClass string
	var ready int
	s := settings{fixtures: "/fixtures", twinDir: "/state/twin", virtualTime: true, maxUnhealthy: "20%"}
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		kata, err := newKataConfig(ctx, s)
		if err != nil {
			return err
		}
		if _, err := newMachineHealthCheck(ctx, s); err != nil {
			return err
		}
		kata.RuntimeClassName.ApplyT(func(v string) string { runtimeClass = v; return v })
		kata.Status.KataNodes().ReadyNodeCount().ApplyT(func(v int) int { ready = v; return v })
		return nil
	}, pulumi.WithMocks("example", "dev", m))
	if err != nil {
		t.Fatal(err)
	}
	if runtimeClass != "kata" || ready != 2 {
		t.Errorf("outputs: runtimeClassName %q, readyNodeCount %d; want kata, 2", runtimeClass, ready)
	}
	if len(m.regs) != 2 {
		t.Fatalf("registered %d resources, want 2", len(m.regs))
	}
	kata, workers := m.regs[0], m.regs[1]
	if kata.TypeToken != "cluster-runtime:index:KataConfig" || kata.Name != "sandboxed" {
		t.Errorf("registered %s %s", kata.TypeToken, kata.Name)
	}
	if workers.TypeToken != "cluster-runtime:index:MachineHealthCheck" || workers.Name != "workers" {
		t.Errorf("registered %s %s", workers.TypeToken, workers.Name)
	}
	for _, reg := range m.regs {
		if v := reg.RegisterRPC.GetVersion(); v != "0.1.0" {
			t.Errorf("%s: plugin version %q, want 0.1.0 (schema.json's version)", reg.Name, v)
		}
	}
	in := kata.Inputs
	if got := in["metadata"].ObjectValue()["name"].StringValue(); got != "example-kataconfig" {
		t.Errorf("metadata.name = %q", got)
	}
	if got := in["spec"].ObjectValue()["logLevel"].StringValue(); got != "info" {
		t.Errorf("spec.logLevel = %q", got)
	}
	cluster := in["cluster"]
	if !cluster.IsSecret() {
		t.Errorf("cluster is not a secret input: %v", cluster)
	} else if got := cluster.SecretValue().Element.ObjectValue()["embedded"].ObjectValue()["fixture"].StringValue(); got != "/fixtures/two-workers.yaml" {
		t.Errorf("cluster.embedded.fixture = %q", got)
	}
	if got := in["timeouts"].ObjectValue()["create"].StringValue(); got != "60m" {
		t.Errorf("timeouts.create = %q", got)
	}
	spec := workers.Inputs["spec"].ObjectValue()
	if got := spec["maxUnhealthy"].StringValue(); got != "20%" {
		t.Errorf("workers spec.maxUnhealthy = %q", got)
	}
	if got := workers.Inputs["metadata"].ObjectValue()["namespace"].StringValue(); got != "default" {
		t.Errorf("workers metadata.namespace = %q", got)
	}
}
