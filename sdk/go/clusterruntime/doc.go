// Pulumi resources for OpenShift sandboxed containers (KataConfig) and Cluster API health checks (MachineHealthCheck), with an embedded cluster twin.
package clusterruntime
