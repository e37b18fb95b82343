// Command rewrite adapts a copy of the source of github.com/pulumi/pulumi-yaml (v1.25.0) in place
// so that its language host builds against github.com/pulumi/pulumi/pkg/v3 and sdk/v3 v3.259.0.
//
//	go run . <dir holding a writable copy of the pulumi-yaml module>
//
// It parses the Go files of the packages the language host is built from, applies the rules
// below on the syntax tree, writes back the files it changed (gofmt-formatted) and adds the files
// under add/ (our own code, see there). Every rule states how many sites it expects; if it finds
// a different number, nothing is written and the command fails naming the rule, so a different
// upstream version is never rewritten silently wrong. It is not a general tool: each rule is
// keyed on the identifiers of the one API change it answers.
package main

import (
	"bytes"
	"embed"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

//go:embed add
var added embed.FS

// The packages the language host is built from (relative to the module root); their non-test
// files are searched, so a site in a file that moved still counts.
var packageDirs = []string{
	"cmd/pulumi-language-yaml",
	"pkg/server",
	"pkg/pulumiyaml",
	"pkg/pulumiyaml/ast",
	"pkg/pulumiyaml/codegen",
	"pkg/pulumiyaml/config",
	"pkg/pulumiyaml/diags",
	"pkg/pulumiyaml/packages",
	"pkg/pulumiyaml/syntax",
	"pkg/pulumiyaml/syntax/encoding",
	"pkg/version",
}

type file struct {
	rel     string
	ast     *ast.File
	changed bool
	// import names that a removed declaration used; dropped from the imports if nothing else
	// in the file uses them any more.
	maybeUnused map[string]bool
}

type rewriter struct {
	root  string
	fset  *token.FileSet
	files []*file
	fails []string
	log   []string
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: rewrite <pulumi-yaml source dir>")
		os.Exit(2)
	}
	r := &rewriter{root: os.Args[1], fset: token.NewFileSet()}
	if err := r.load(); err != nil {
		fatal(err.Error())
	}

	// 1. The plugin host/context split (pkg/v3 v3.259: schema.NewPluginLoader takes a
	//    *pkg/v3/resource/plugin.Context; plugin.NewContextWithRoot lost an argument and no longer
	//    accepts a nil host). The two helpers that built a sdk plugin host are removed; add/ defines
	//    functions of the same names that return a *PluginScope (host + context).
	r.expect("remove func newResourcePackageHost", 1, r.dropFunc("pkg/pulumiyaml/packages.go", "newResourcePackageHost"))
	r.expect("remove func newPluginHost", 1, r.dropFunc("pkg/pulumiyaml/codegen/convert.go", "newPluginHost"))
	//    schema.NewPluginLoader(host) -> schema.NewPluginLoader(host.PluginContext())
	r.expect("schema.NewPluginLoader(x) -> schema.NewPluginLoader(x.PluginContext())", 2, r.pluginLoaderArg())
	//    packageLoader's host field: plugin.Host -> *PluginScope (it only calls Close on it).
	r.expect("packageLoader.host: plugin.Host -> *PluginScope", 1, r.fieldType("pkg/pulumiyaml/packages.go", "packageLoader", "host", "plugin", "Host", "PluginScope"))

	// 2. pcl.Loader(l) is no longer a BindOption: the loader is the second argument of
	//    pcl.BindProgram(files, loader, opts...).
	r.expect("pcl.Loader(l) option -> pcl.BindProgram(files, l, opts...)", 2, r.pclLoader())

	// 3. pcl.Resource's Token field became GetToken() (string, hcl.Range): n.Token ->
	//    resourceToken(n) (add/ defines it), for n a parameter of type *pcl.Resource.
	r.expect("n.Token -> resourceToken(n) for n *pcl.Resource", 1, r.resourceToken())

	// 4. schema.Parameterization's BaseProvider field is now BasePlugin (same Name and Version).
	r.expect("x.Parameterization.BaseProvider -> x.Parameterization.BasePlugin", 2, r.renameSelector("Parameterization", "BaseProvider", "BasePlugin"))

	if len(r.fails) > 0 {
		fatal("the pulumi-yaml source is not the one these rules were written for; nothing was written:\n  " +
			strings.Join(r.fails, "\n  "))
	}
	r.dropUnusedImports()
	if err := r.write(); err != nil {
		fatal(err.Error())
	}
	if err := r.addFiles(); err != nil {
		fatal(err.Error())
	}
	for _, l := range r.log {
		fmt.Fprintln(os.Stderr, "rewrite:", l)
	}
}

func fatal(msg string) {
	fmt.Fprintln(os.Stderr, "rewrite: error:", msg)
	os.Exit(1)
}

func (r *rewriter) load() error {
	for _, dir := range packageDirs {
		entries, err := os.ReadDir(filepath.Join(r.root, dir))
		if err != nil {
			return fmt.Errorf("package directory %s: %w", dir, err)
		}
		for _, e := range entries {
			name := e.Name()
			if e.IsDir() || !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
				continue
			}
			rel := filepath.ToSlash(filepath.Join(dir, name))
			f, err := parser.ParseFile(r.fset, filepath.Join(r.root, rel), nil, parser.ParseComments|parser.SkipObjectResolution)
			if err != nil {
				return err
			}
			r.files = append(r.files, &file{rel: rel, ast: f, maybeUnused: map[string]bool{}})
		}
	}
	return nil
}

func (r *rewriter) expect(rule string, want int, sites []string) {
	if len(sites) != want {
		r.fails = append(r.fails, fmt.Sprintf("%s: expected %d site(s), found %d %v", rule, want, len(sites), sites))
		return
	}
	r.log = append(r.log, fmt.Sprintf("%s: %s", rule, strings.Join(sites, ", ")))
}

func (r *rewriter) file(rel string) *file {
	for _, f := range r.files {
		if f.rel == rel {
			return f
		}
	}
	return nil
}

func (r *rewriter) pos(n ast.Node) string {
	p := r.fset.Position(n.Pos())
	rel, err := filepath.Rel(r.root, p.Filename)
	if err != nil {
		rel = p.Filename
	}
	return fmt.Sprintf("%s:%d", filepath.ToSlash(rel), p.Line)
}

// isSel reports whether e is pkg.name.
func isSel(e ast.Expr, pkg, name string) bool {
	s, ok := e.(*ast.SelectorExpr)
	if !ok || s.Sel.Name != name {
		return false
	}
	id, ok := s.X.(*ast.Ident)
	return ok && id.Name == pkg
}

// dropFunc removes the top-level function name from the file rel.
func (r *rewriter) dropFunc(rel, name string) []string {
	f := r.file(rel)
	if f == nil {
		return nil
	}
	var sites []string
	decls := f.ast.Decls[:0]
	for _, d := range f.ast.Decls {
		fn, ok := d.(*ast.FuncDecl)
		if ok && fn.Recv == nil && fn.Name.Name == name {
			sites = append(sites, r.pos(fn))
			ast.Inspect(fn, func(n ast.Node) bool {
				if s, ok := n.(*ast.SelectorExpr); ok {
					if id, ok := s.X.(*ast.Ident); ok {
						f.maybeUnused[id.Name] = true
					}
				}
				return true
			})
			f.ast.Comments = dropCommentsIn(f.ast.Comments, fn)
			f.changed = true
			continue
		}
		decls = append(decls, d)
	}
	f.ast.Decls = decls
	return sites
}

// dropCommentsIn removes the comment groups inside (or documenting) a removed declaration, so
// that the printer does not leave them stranded.
func dropCommentsIn(groups []*ast.CommentGroup, fn *ast.FuncDecl) []*ast.CommentGroup {
	start := fn.Pos()
	if fn.Doc != nil {
		start = fn.Doc.Pos()
	}
	kept := groups[:0]
	for _, g := range groups {
		if g.Pos() >= start && g.End() <= fn.End() {
			continue
		}
		kept = append(kept, g)
	}
	return kept
}

func (r *rewriter) pluginLoaderArg() []string {
	var sites []string
	for _, f := range r.files {
		ast.Inspect(f.ast, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || !isSel(call.Fun, "schema", "NewPluginLoader") || len(call.Args) != 1 {
				return true
			}
			arg, ok := call.Args[0].(*ast.Ident)
			if !ok {
				return true
			}
			call.Args[0] = &ast.CallExpr{Fun: &ast.SelectorExpr{X: ast.NewIdent(arg.Name), Sel: ast.NewIdent("PluginContext")}}
			sites = append(sites, r.pos(call))
			f.changed = true
			return true
		})
	}
	return sites
}

// fieldType changes the type of field in struct type typeName from pkg.old to *newType.
func (r *rewriter) fieldType(rel, typeName, field, pkg, old, newType string) []string {
	f := r.file(rel)
	if f == nil {
		return nil
	}
	var sites []string
	ast.Inspect(f.ast, func(n ast.Node) bool {
		ts, ok := n.(*ast.TypeSpec)
		if !ok || ts.Name.Name != typeName {
			return true
		}
		st, ok := ts.Type.(*ast.StructType)
		if !ok {
			return false
		}
		for _, fl := range st.Fields.List {
			if len(fl.Names) == 1 && fl.Names[0].Name == field && isSel(fl.Type, pkg, old) {
				fl.Type = &ast.StarExpr{X: ast.NewIdent(newType)}
				f.maybeUnused[pkg] = true
				f.changed = true
				sites = append(sites, r.pos(fl))
			}
		}
		return false
	})
	return sites
}

// pclLoader moves the argument of pcl.Loader(x) out of the BindOption list of a function into
// that function's pcl.BindProgram(files, opts...) call. It understands the two shapes upstream
// uses: an element of a composite literal, and `opts = append(opts, pcl.Loader(x))`.
func (r *rewriter) pclLoader() []string {
	var sites []string
	for _, f := range r.files {
		for _, d := range f.ast.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Body == nil {
				continue
			}
			var loaders []ast.Expr
			var where []string
			bad := false
			// Composite literal elements.
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				lit, ok := n.(*ast.CompositeLit)
				if !ok {
					return true
				}
				elts := lit.Elts[:0]
				for _, e := range lit.Elts {
					if c, ok := e.(*ast.CallExpr); ok && isSel(c.Fun, "pcl", "Loader") && len(c.Args) == 1 {
						loaders = append(loaders, c.Args[0])
						where = append(where, r.pos(c))
						continue
					}
					elts = append(elts, e)
				}
				lit.Elts = elts
				return true
			})
			// Statements `opts = append(opts, pcl.Loader(x))`.
			var dropStmts func(list []ast.Stmt) []ast.Stmt
			dropStmts = func(list []ast.Stmt) []ast.Stmt {
				kept := list[:0]
				for _, s := range list {
					if as, ok := s.(*ast.AssignStmt); ok && len(as.Rhs) == 1 {
						if c, ok := as.Rhs[0].(*ast.CallExpr); ok && isIdent(c.Fun, "append") && len(c.Args) == 2 {
							if l, ok := c.Args[1].(*ast.CallExpr); ok && isSel(l.Fun, "pcl", "Loader") && len(l.Args) == 1 {
								loaders = append(loaders, l.Args[0])
								where = append(where, r.pos(l))
								continue
							}
						}
					}
					kept = append(kept, s)
				}
				return kept
			}
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				if b, ok := n.(*ast.BlockStmt); ok {
					b.List = dropStmts(b.List)
				}
				return true
			})
			// Any pcl.Loader left is in a shape this rule does not know.
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				if c, ok := n.(*ast.CallExpr); ok && isSel(c.Fun, "pcl", "Loader") {
					r.fails = append(r.fails, "pcl.Loader in an unexpected shape at "+r.pos(c))
					bad = true
				}
				return true
			})
			if len(loaders) == 0 || bad {
				continue
			}
			if len(loaders) > 1 {
				r.fails = append(r.fails, fmt.Sprintf("more than one pcl.Loader in %s: %v", fn.Name.Name, where))
				continue
			}
			binds := 0
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				c, ok := n.(*ast.CallExpr)
				if !ok || !isSel(c.Fun, "pcl", "BindProgram") {
					return true
				}
				binds++
				if len(c.Args) != 2 || !c.Ellipsis.IsValid() {
					r.fails = append(r.fails, "pcl.BindProgram call not of the form (files, opts...) at "+r.pos(c))
					return true
				}
				c.Args = []ast.Expr{c.Args[0], loaders[0], c.Args[1]}
				return true
			})
			if binds != 1 {
				r.fails = append(r.fails, fmt.Sprintf("%s: expected one pcl.BindProgram call for the pcl.Loader at %v, found %d", fn.Name.Name, where, binds))
				continue
			}
			f.changed = true
			sites = append(sites, where[0])
		}
	}
	return sites
}

func isIdent(e ast.Expr, name string) bool {
	id, ok := e.(*ast.Ident)
	return ok && id.Name == name
}

func (r *rewriter) resourceToken() []string {
	var sites []string
	for _, f := range r.files {
		for _, d := range f.ast.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Body == nil {
				continue
			}
			params := map[string]bool{}
			for _, p := range fn.Type.Params.List {
				if star, ok := p.Type.(*ast.StarExpr); ok && isSel(star.X, "pcl", "Resource") {
					for _, n := range p.Names {
						params[n.Name] = true
					}
				}
			}
			if len(params) == 0 {
				continue
			}
			replaceExprs(fn.Body, func(e ast.Expr) ast.Expr {
				s, ok := e.(*ast.SelectorExpr)
				if !ok || s.Sel.Name != "Token" {
					return nil
				}
				id, ok := s.X.(*ast.Ident)
				if !ok || !params[id.Name] {
					return nil
				}
				sites = append(sites, r.pos(s))
				f.changed = true
				return &ast.CallExpr{Fun: ast.NewIdent("resourceToken"), Args: []ast.Expr{ast.NewIdent(id.Name)}}
			})
		}
	}
	return sites
}

// replaceExprs calls fn on the expressions that are arguments of calls, operands, values of
// assignments and returns, and elements of composite literals under root; a non-nil result
// replaces the expression. (Enough for the sites the rules look for; add shapes if needed.)
func replaceExprs(root ast.Node, fn func(ast.Expr) ast.Expr) {
	repl := func(list []ast.Expr) {
		for i, e := range list {
			if n := fn(e); n != nil {
				list[i] = n
			}
		}
	}
	one := func(e *ast.Expr) {
		if *e == nil {
			return
		}
		if n := fn(*e); n != nil {
			*e = n
		}
	}
	ast.Inspect(root, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.CallExpr:
			repl(n.Args)
		case *ast.CompositeLit:
			repl(n.Elts)
		case *ast.KeyValueExpr:
			one(&n.Value)
		case *ast.AssignStmt:
			repl(n.Rhs)
		case *ast.ReturnStmt:
			repl(n.Results)
		case *ast.BinaryExpr:
			one(&n.X)
			one(&n.Y)
		case *ast.ValueSpec:
			repl(n.Values)
		}
		return true
	})
}

func (r *rewriter) renameSelector(parent, old, new string) []string {
	var sites []string
	for _, f := range r.files {
		ast.Inspect(f.ast, func(n ast.Node) bool {
			s, ok := n.(*ast.SelectorExpr)
			if !ok || s.Sel.Name != old {
				return true
			}
			if p, ok := s.X.(*ast.SelectorExpr); ok && p.Sel.Name == parent {
				s.Sel = ast.NewIdent(new)
				sites = append(sites, r.pos(s))
				f.changed = true
			}
			return true
		})
	}
	return sites
}

// dropUnusedImports removes, from changed files, the imports that a removed declaration or
// replaced type used and that nothing in the file uses any more.
func (r *rewriter) dropUnusedImports() {
	for _, f := range r.files {
		if !f.changed || len(f.maybeUnused) == 0 {
			continue
		}
		used := map[string]bool{}
		ast.Inspect(f.ast, func(n ast.Node) bool {
			if s, ok := n.(*ast.SelectorExpr); ok {
				if id, ok := s.X.(*ast.Ident); ok {
					used[id.Name] = true
				}
			}
			return true
		})
		for _, d := range f.ast.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.IMPORT {
				continue
			}
			specs := gd.Specs[:0]
			for _, s := range gd.Specs {
				is := s.(*ast.ImportSpec)
				name := importName(is)
				if f.maybeUnused[name] && !used[name] {
					r.log = append(r.log, fmt.Sprintf("%s: dropped unused import %s", f.rel, is.Path.Value))
					continue
				}
				specs = append(specs, s)
			}
			gd.Specs = specs
		}
		var imports []*ast.ImportSpec
		for _, is := range f.ast.Imports {
			if !f.maybeUnused[importName(is)] || used[importName(is)] {
				imports = append(imports, is)
			}
		}
		f.ast.Imports = imports
	}
}

// importName is the name an import is referred to by: its explicit name, else the last element
// of its path (the imports this is asked about all follow that convention).
func importName(is *ast.ImportSpec) string {
	if is.Name != nil {
		return is.Name.Name
	}
	p := strings.Trim(is.Path.Value, `"`)
	return p[strings.LastIndex(p, "/")+1:]
}

func (r *rewriter) write() error {
	for _, f := range r.files {
		if !f.changed {
			continue
		}
		var buf bytes.Buffer
		if err := format.Node(&buf, r.fset, f.ast); err != nil {
			return fmt.Errorf("%s: %w", f.rel, err)
		}
		// Re-parse so that a rule that produced invalid syntax fails here, not in the compiler.
		if _, err := parser.ParseFile(token.NewFileSet(), f.rel, buf.Bytes(), 0); err != nil {
			return fmt.Errorf("%s after rewriting: %w", f.rel, err)
		}
		if err := os.WriteFile(filepath.Join(r.root, f.rel), buf.Bytes(), 0o644); err != nil {
			return err
		}
	}
	var changed []string
	for _, f := range r.files {
		if f.changed {
			changed = append(changed, f.rel)
		}
	}
	sort.Strings(changed)
	r.log = append(r.log, "rewrote "+strings.Join(changed, ", "))
	return nil
}

// addFiles writes add/<path>.go.txt to <root>/<path>.go; it refuses to overwrite upstream files.
func (r *rewriter) addFiles() error {
	return fs.WalkDir(added, "add", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel := strings.TrimSuffix(strings.TrimPrefix(path, "add/"), ".txt")
		dst := filepath.Join(r.root, filepath.FromSlash(rel))
		if _, err := os.Stat(dst); err == nil {
			return fmt.Errorf("%s already exists in the pulumi-yaml source; not overwriting it", rel)
		}
		data, err := added.ReadFile(path)
		if err != nil {
			return err
		}
		if _, err := os.Stat(filepath.Dir(dst)); err != nil {
			return fmt.Errorf("cannot add %s: %w", rel, err)
		}
		r.log = append(r.log, "added "+rel)
		return os.WriteFile(dst, data, 0o644)
	})
}
