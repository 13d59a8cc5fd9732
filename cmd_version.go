package main

import (
	"fmt"
	"io"

	"github.com/absorb-scim/absorb-scim/buildinfo"
)

// runVersion is `version` (and `-version`): the version, commit and Go
// version of this build, the first thing a bug report needs.
func runVersion(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("version", stderr)
	asJSON := fs.Bool("json", false, "print JSON")
	if err := fs.Parse(args); err != nil {
		return flagError(err)
	}
	info := buildinfo.Read()
	if *asJSON {
		return writeJSONIndent(stdout, info)
	}
	fmt.Fprintln(stdout, info)
	return nil
}
