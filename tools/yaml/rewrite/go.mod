// The source rewriter used by tools/yaml/build.sh (standard library only).
module pulumi-cluster-runtime/tools/yaml/rewrite

go 1.25.11
