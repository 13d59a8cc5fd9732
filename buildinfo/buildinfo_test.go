package buildinfo

import (
	"runtime"
	"runtime/debug"
	"testing"
)

func TestFromBuildInfo(t *testing.T) {
	tests := []struct {
		name string
		bi   debug.BuildInfo
		want Info
	}{
		{name: "release", bi: debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.4.0"},
			Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "905cf0e1"}, {Key: "vcs.modified", Value: "false"}}},
			want: Info{Version: "v1.4.0", Commit: "905cf0e1", GoVersion: "go1.26.8"}},
		{name: "dirty checkout", bi: debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"},
			Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "abc"}, {Key: "vcs.modified", Value: "true"}}},
			want: Info{Version: "(devel)", Commit: "abc+dirty", GoVersion: "go1.26.8"}},
		{name: "no vcs", bi: debug.BuildInfo{GoVersion: "go1.26.8"},
			want: Info{Version: "(devel)", Commit: "unknown", GoVersion: "go1.26.8"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := FromBuildInfo(&tt.bi); got != tt.want {
				t.Errorf("FromBuildInfo = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestReadNamesThisGo(t *testing.T) {
	if got := Read(); got.GoVersion != runtime.Version() {
		t.Errorf("Read().GoVersion = %q, want %q", got.GoVersion, runtime.Version())
	}
}

func TestReadPrefersLinkTimeValues(t *testing.T) {
	version, commit = "v1.2.3", "abc123"
	t.Cleanup(func() { version, commit = "", "" })
	got := Read()
	if got.Version != "v1.2.3" || got.Commit != "abc123" || got.GoVersion != runtime.Version() {
		t.Errorf("Read() = %+v, want the link-time version and commit", got)
	}
}
