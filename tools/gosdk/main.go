// Command gosdk-gen writes the Go SDK of a Pulumi package schema with the Go code generator of
// github.com/pulumi/pulumi/pkg/v3 (codegen/go GeneratePackage), the library that
// `pulumi package gen-sdk --language go` reaches through the Go language host, which cannot be
// built here. See README.md.
//
//	gosdk-gen -schema schema.json -out sdk/go \
//	  -module github.com/pulumi-cluster-runtime/pulumi-cluster-runtime/sdk/go \
//	  -import-base-path github.com/pulumi-cluster-runtime/pulumi-cluster-runtime/sdk/go/clusterruntime
//
// The schema's language.go block is used as is, with -import-base-path (and
// respectSchemaVersion, so that the SDK asks the engine for the schema's plugin version) filled
// in where it lacks them. The package's directory under -out (the last element of the import base
// path) is replaced as a whole; -out/go.mod is written with the module path and the
// github.com/pulumi/pulumi/sdk/v3 version this tool was built with (run `go mod tidy` after).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strings"

	"github.com/blang/semver"
	gogen "github.com/pulumi/pulumi/pkg/v3/codegen/go"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
	"golang.org/x/mod/modfile"
)

const sdkModule = "github.com/pulumi/pulumi/sdk/v3"

func main() {
	schemaPath := flag.String("schema", "schema.json", "the package schema (JSON)")
	out := flag.String("out", "", "the Go module directory to write (holds go.mod and the package directory)")
	module := flag.String("module", "", "the Go module path of -out (written to -out/go.mod)")
	importBase := flag.String("import-base-path", "",
		"language.go.importBasePath, if the schema has none: the import path of the package's root directory")
	flag.Parse()
	if *out == "" || *module == "" {
		fail(errors.New("-out and -module are required"))
	}
	if err := run(*schemaPath, *out, *module, *importBase); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "gosdk-gen:", err)
	os.Exit(1)
}

func run(schemaPath, out, module, importBase string) error {
	data, err := os.ReadFile(schemaPath)
	if err != nil {
		return err
	}
	var spec schema.PackageSpec
	if err := json.Unmarshal(data, &spec); err != nil {
		return fmt.Errorf("%s: %w", schemaPath, err)
	}

	goInfo := map[string]any{}
	if raw, ok := spec.Language["go"]; ok {
		if err := json.Unmarshal(raw, &goInfo); err != nil {
			return fmt.Errorf("%s: language.go: %w", schemaPath, err)
		}
	}
	if base, _ := goInfo["importBasePath"].(string); base == "" {
		if importBase == "" {
			return fmt.Errorf("%s has no language.go.importBasePath: pass -import-base-path", schemaPath)
		}
		goInfo["importBasePath"] = importBase
	}
	if _, ok := goInfo["respectSchemaVersion"]; !ok {
		goInfo["respectSchemaVersion"] = true
	}
	base := goInfo["importBasePath"].(string)
	if base != module && !strings.HasPrefix(base, module+"/") {
		return fmt.Errorf("the import base path %s is not inside the module %s", base, module)
	}
	raw, err := json.Marshal(goInfo)
	if err != nil {
		return err
	}
	if spec.Language == nil {
		spec.Language = map[string]schema.RawMessage{}
	}
	spec.Language["go"] = raw

	pkg, diags, err := schema.BindSpec(spec, noOtherPackages{}, schema.ValidationOptions{})
	if err != nil {
		return fmt.Errorf("binding %s: %w", schemaPath, err)
	}
	for _, d := range diags {
		fmt.Fprintln(os.Stderr, "gosdk-gen: schema:", d.Error())
	}
	if diags.HasErrors() {
		return fmt.Errorf("%s does not bind (see above)", schemaPath)
	}

	files, err := gogen.GeneratePackage("gosdk-gen", pkg, nil)
	if err != nil {
		return fmt.Errorf("generating the Go SDK: %w", err)
	}

	// The package's files live under <out>/<rel>, rel being the import base path relative to the
	// module path; the generator names them relative to the module's directory as
	// <last element of the import base path>/... (plus .gitattributes at the top).
	rel := strings.TrimPrefix(strings.TrimPrefix(base, module), "/")
	root := path.Base(base)
	pkgDir := filepath.Join(out, filepath.FromSlash(rel))
	if rel == "" {
		return fmt.Errorf("the import base path must be a directory below the module %s", module)
	}
	if err := os.RemoveAll(pkgDir); err != nil {
		return err
	}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		var dst string
		switch {
		case name == root || strings.HasPrefix(name, root+"/"):
			dst = filepath.Join(pkgDir, filepath.FromSlash(strings.TrimPrefix(strings.TrimPrefix(name, root), "/")))
		case !strings.Contains(name, "/"):
			dst = filepath.Join(out, name)
		default:
			return fmt.Errorf("the generator wrote %s, outside the package directory %s", name, root)
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(dst, files[name], 0o644); err != nil {
			return err
		}
	}

	gomod, err := goMod(module)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(out, "go.mod"), gomod, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "gosdk-gen: wrote %d files for %s %s to %s (package %s)\n",
		len(files), pkg.Name, versionOf(pkg), out, base)
	return nil
}

func versionOf(pkg *schema.Package) string {
	if pkg.Version == nil {
		return "(no version)"
	}
	return "v" + pkg.Version.String()
}

// goMod is a go.mod for the SDK module: the module path, the go directive of the sdk/v3 module
// (so that `go mod tidy` keeps it) and the sdk/v3 version this tool was built with.
func goMod(module string) ([]byte, error) {
	version, goVersion := "", "1.25"
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, dep := range info.Deps {
			if dep.Path == sdkModule {
				version = dep.Version
			}
		}
	}
	if version == "" {
		return nil, fmt.Errorf("cannot tell which %s this tool was built with", sdkModule)
	}
	if v := os.Getenv("GOSDK_GO_DIRECTIVE"); v != "" {
		goVersion = v
	}
	var f modfile.File
	if err := f.AddModuleStmt(module); err != nil {
		return nil, err
	}
	if err := f.AddGoStmt(goVersion); err != nil {
		return nil, err
	}
	if err := f.AddRequire(sdkModule, version); err != nil {
		return nil, err
	}
	body, err := f.Format()
	if err != nil {
		return nil, err
	}
	header := "// Written by tools/gosdk (gosdk-gen) with the SDK it generates from schema.json;\n" +
		"// regenerate with tools/gosdk/gen.sh (which also runs `go mod tidy` here).\n"
	return append([]byte(header), body...), nil
}

// noOtherPackages is the schema loader for a schema that references no other package (its
// references to pulumi.json are built in); it refuses every load, naming the package.
type noOtherPackages struct{}

func (noOtherPackages) LoadPackage(pkg string, _ *semver.Version) (*schema.Package, error) {
	return nil, fmt.Errorf("the schema references package %q; gosdk-gen loads no other packages", pkg)
}

func (l noOtherPackages) LoadPackageV2(_ context.Context, d *schema.PackageDescriptor) (*schema.Package, error) {
	return l.LoadPackage(d.Name, nil)
}

func (l noOtherPackages) LoadPackageReference(pkg string, v *semver.Version) (schema.PackageReference, error) {
	_, err := l.LoadPackage(pkg, v)
	return nil, err
}

func (l noOtherPackages) LoadPackageReferenceV2(_ context.Context, d *schema.PackageDescriptor) (schema.PackageReference, error) {
	_, err := l.LoadPackage(d.Name, nil)
	return nil, err
}
