// trim prepares a build of only some of the Terraform AWS provider's services: the provider registers every service package in one generated list
// (internal/provider/sdkv2/service_packages_gen.go) and its connection code has a typed client
// getter for every AWS SDK client (internal/conns/awsclient_gen.go). A full build is about 2,500
// packages; the trimmed copy registers the listed service packages and keeps the SDK clients
// that what is left still imports. Nothing else of the module changes: the kept services' code
// is compiled as released, so their resources behave as in the full provider.
//
// Usage (from the aws-provider module): go run ./trim -out <dir> -keep ec2,elbv2 <root package>...
// It writes <dir>/terraform-provider-aws (the module from the module cache, hard-linked where
// possible, with the two files rewritten; `go build -overlay` refuses files in the module cache)
// and <dir>/go.mod, <dir>/go.sum: this module's, the provider replaced by that copy, for
// `go build -modfile <dir>/go.mod`.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

const (
	tfModule   = "github.com/hashicorp/terraform-provider-aws"
	servicePkg = tfModule + "/internal/service/"
	sdkService = "github.com/aws/aws-sdk-go-v2/service/"
)

func main() {
	out := flag.String("out", "", "directory for the trimmed copy and the build's go.mod")
	keepList := flag.String("keep", "", "service packages to register, comma-separated")
	flag.Parse()
	if *out == "" || *keepList == "" || flag.NArg() == 0 {
		fail("usage: go run ./trim -out <dir> -keep ec2,elbv2 <root package>...")
	}
	keep := strings.Split(*keepList, ",")
	src := goList("-m", "-f", "{{.Dir}}", tfModule)
	outDir := abs(*out)
	dir := filepath.Join(outDir, "terraform-provider-aws")
	if err := os.RemoveAll(dir); err != nil {
		fail(err.Error())
	}
	copyTree(src, dir)
	modfile := writeModfile(outDir, dir)

	// 1. Register only the kept service packages.
	services := filepath.Join(dir, "internal/provider/sdkv2/service_packages_gen.go")
	fset, file := parse(services)
	registered := dropImports(file, func(path string) bool {
		name, ok := strings.CutPrefix(path, servicePkg)
		return ok && !slices.Contains(keep, name)
	})
	for _, name := range keep {
		if !slices.Contains(registered, name) {
			fail(fmt.Sprintf("service package %q is not in %s", name, services))
		}
	}
	ast.Inspect(file, func(n ast.Node) bool {
		lit, ok := n.(*ast.CompositeLit)
		if !ok {
			return true
		}
		lit.Elts = slices.DeleteFunc(lit.Elts, func(e ast.Expr) bool {
			pkg := calledPackage(e)
			return pkg != "" && !slices.Contains(keep, pkg)
		})
		return true
	})
	write(services, fset, file)

	// 2. The SDK clients the remaining packages import, listed with conns' generated getters
	// all dropped first (`go list` reads imports only), so that the module proxy is not asked
	// for the ~250 SDK client modules nothing here uses.
	connsDir := filepath.Join(dir, "internal/conns")
	clients := filepath.Join(connsDir, "awsclient_gen.go")
	original := filepath.Join(src, "internal/conns/awsclient_gen.go")
	writeClients(original, clients, func(string) bool { return false })
	needed := map[string]bool{}
	listing := goList(append([]string{"list", "-modfile", modfile, "-deps",
		"-f", "{{.ImportPath}}\t{{join .Imports \" \"}}"}, flag.Args()...)...)
	for _, line := range strings.Split(listing, "\n") {
		_, imports, _ := strings.Cut(line, "\t")
		for _, imp := range strings.Fields(imports) {
			needed[imp] = true
		}
	}

	// 3. The getters of the clients something needs, and nothing else.
	kept := writeClients(original, clients, func(path string) bool { return needed[path] })
	fmt.Printf("trim: %d service packages registered (%s), %d AWS SDK clients kept\n",
		len(keep), strings.Join(keep, ", "), kept)
}

// writeClients writes conns' generated client getters (from `original`) to `path`, keeping
// those whose SDK client package `keep` accepts (and the imports still used); it returns how
// many it kept.
func writeClients(original, path string, keep func(importPath string) bool) int {
	fset, file := parse(original)
	paths := map[string]string{} // import name -> path
	for _, imp := range file.Imports {
		paths[importName(imp)] = importPath(imp)
	}
	kept := 0
	file.Decls = slices.DeleteFunc(file.Decls, func(d ast.Decl) bool {
		client := resultPackage(d, paths)
		if !strings.HasPrefix(client, sdkService) {
			return false
		}
		if keep(client) {
			kept++
			return false
		}
		return true
	})
	used := map[string]bool{}
	ast.Inspect(file, func(n ast.Node) bool {
		if sel, ok := n.(*ast.SelectorExpr); ok {
			if x, ok := sel.X.(*ast.Ident); ok {
				used[x.Name] = true
			}
		}
		return true
	})
	dropImports(file, func(imp string) bool {
		return !used[nameOf(file, imp)]
	})
	write(path, fset, file)
	return kept
}

// resultPackage: for `func (c *AWSClient) XClient(ctx) *x.Client`, the import path of x.
func resultPackage(d ast.Decl, paths map[string]string) string {
	fn, ok := d.(*ast.FuncDecl)
	if !ok || fn.Type.Results == nil || len(fn.Type.Results.List) != 1 {
		return ""
	}
	star, ok := fn.Type.Results.List[0].Type.(*ast.StarExpr)
	if !ok {
		return ""
	}
	sel, ok := star.X.(*ast.SelectorExpr)
	if !ok {
		return ""
	}
	x, ok := sel.X.(*ast.Ident)
	if !ok {
		return ""
	}
	return paths[x.Name]
}

// copyTree copies the module's Go code (not its docs and website), hard-linking files when the
// file system allows: the two rewritten files are replaced, never written through a link.
func copyTree(src, dst string) {
	skip := map[string]bool{"docs": true, "website": true, "examples": true, "infrastructure": true}
	err := filepath.WalkDir(src, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if d.IsDir() {
			if skip[rel] {
				return filepath.SkipDir
			}
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		target := filepath.Join(dst, rel)
		if os.Link(path, target) == nil {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
	if err != nil {
		fail(err.Error())
	}
}

// writeModfile writes this module's go.mod and go.sum into dir, with the provider module
// replaced by the trimmed copy; it returns the go.mod's path.
func writeModfile(dir, copyDir string) string {
	mod, err := os.ReadFile("go.mod")
	if err != nil {
		fail("run trim from the aws-provider module: " + err.Error())
	}
	var lines []string
	replaced := false
	for _, line := range strings.Split(string(mod), "\n") {
		if strings.HasPrefix(line, "replace "+tfModule+" =>") {
			line = "replace " + tfModule + " => " + copyDir
			replaced = true
		}
		lines = append(lines, line)
	}
	if !replaced {
		fail("go.mod has no `replace " + tfModule + " => ...` line")
	}
	path := filepath.Join(dir, "go.mod")
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
		fail(err.Error())
	}
	sum, err := os.ReadFile("go.sum")
	if err != nil {
		fail(err.Error())
	}
	if err := os.WriteFile(filepath.Join(dir, "go.sum"), sum, 0o644); err != nil {
		fail(err.Error())
	}
	return path
}

func calledPackage(e ast.Expr) string {
	call, ok := e.(*ast.CallExpr)
	if !ok {
		return ""
	}
	sel, ok := call.Fun.(*ast.SelectorExpr)
	if !ok || sel.Sel.Name != "ServicePackage" {
		return ""
	}
	if x, ok := sel.X.(*ast.Ident); ok {
		return x.Name
	}
	return ""
}

// dropImports removes the imports `drop` says to, and returns the kept service package names.
func dropImports(file *ast.File, drop func(path string) bool) []string {
	var kept []string
	for _, decl := range file.Decls {
		gen, ok := decl.(*ast.GenDecl)
		if !ok || gen.Tok != token.IMPORT {
			continue
		}
		gen.Specs = slices.DeleteFunc(gen.Specs, func(s ast.Spec) bool {
			path := importPath(s.(*ast.ImportSpec))
			if drop(path) {
				return true
			}
			if name, ok := strings.CutPrefix(path, servicePkg); ok {
				kept = append(kept, name)
			}
			return false
		})
	}
	file.Imports = slices.DeleteFunc(file.Imports, func(s *ast.ImportSpec) bool {
		return drop(importPath(s))
	})
	return kept
}

func nameOf(file *ast.File, path string) string {
	for _, imp := range file.Imports {
		if importPath(imp) == path {
			return importName(imp)
		}
	}
	return ""
}

func importPath(s *ast.ImportSpec) string {
	p, err := strconv.Unquote(s.Path.Value)
	if err != nil {
		fail(err.Error())
	}
	return p
}

func importName(s *ast.ImportSpec) string {
	if s.Name != nil {
		return s.Name.Name
	}
	return filepath.Base(importPath(s))
}

func parse(path string) (*token.FileSet, *ast.File) {
	fset := token.NewFileSet()
	file, err := parser.ParseFile(fset, path, nil, parser.ParseComments)
	if err != nil {
		fail(err.Error())
	}
	return fset, file
}

func write(path string, fset *token.FileSet, file *ast.File) {
	var buf bytes.Buffer
	if err := format.Node(&buf, fset, file); err != nil {
		fail(err.Error())
	}
	// Unlink first: the file may be a hard link to the module cache's copy.
	if err := os.Remove(path); err != nil {
		fail(err.Error())
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		fail(err.Error())
	}
}

func goList(args ...string) string {
	if args[0] != "list" {
		args = append([]string{"list"}, args...)
	}
	cmd := exec.Command("go", args...)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		fail(fmt.Sprintf("go %s: %v", strings.Join(args, " "), err))
	}
	return strings.TrimSpace(string(out))
}

func abs(path string) string {
	p, err := filepath.Abs(path)
	if err != nil {
		fail(err.Error())
	}
	return p
}

func fail(msg string) {
	fmt.Fprintln(os.Stderr, "trim:", msg)
	os.Exit(1)
}
