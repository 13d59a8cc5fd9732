// Package buildinfo says which build of absorb-scim is running: its version,
// the commit it was built from and the Go release that compiled it, read from
// the information the Go toolchain embeds in every binary.
package buildinfo

import (
	"fmt"
	"runtime/debug"
)

// Info identifies a build.
type Info struct {
	// Version is the module version ("v1.2.3"), or "(devel)" for a build
	// from a checkout.
	Version string `json:"version"`
	// Commit is the VCS revision, with "+dirty" when the checkout had
	// uncommitted changes; "unknown" when the build recorded none (go run,
	// go test).
	Commit string `json:"commit"`
	// GoVersion is the Go release that compiled the binary.
	GoVersion string `json:"goVersion"`
}

// version and commit, when set at link time, name the build where the Go
// toolchain cannot (a container build has no .git to read):
//
//	go build -ldflags "-X github.com/absorb-scim/absorb-scim/buildinfo.version=v1.2.0 -X github.com/absorb-scim/absorb-scim/buildinfo.commit=$(git rev-parse HEAD)"
var version, commit string

// Read returns the running binary's build information.
func Read() Info {
	info := Info{Version: "unknown", Commit: "unknown", GoVersion: "unknown"}
	if bi, ok := debug.ReadBuildInfo(); ok {
		info = FromBuildInfo(bi)
	}
	if version != "" {
		info.Version = version
	}
	if commit != "" {
		info.Commit = commit
	}
	return info
}

// FromBuildInfo extracts an Info from Go's build information.
func FromBuildInfo(bi *debug.BuildInfo) Info {
	info := Info{Version: bi.Main.Version, Commit: "unknown", GoVersion: bi.GoVersion}
	if info.Version == "" {
		info.Version = "(devel)"
	}
	var modified bool
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			info.Commit = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if modified && info.Commit != "unknown" {
		info.Commit += "+dirty"
	}
	return info
}

// String is the one line `absorb-scim version` prints.
func (i Info) String() string {
	return fmt.Sprintf("absorb-scim %s (commit %s, %s)", i.Version, i.Commit, i.GoVersion)
}
