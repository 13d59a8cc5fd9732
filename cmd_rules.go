package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/absorb-scim/absorb-scim/config"
)

// rulesReport is the answer of POST /admin/rules/apply.
type rulesReport struct {
	Users             int      `json:"users"`
	DepartmentChanges int      `json:"departmentChanges"`
	Enrollments       int      `json:"enrollments"`
	Unenrollments     int      `json:"unenrollments"`
	Failures          int      `json:"failures"`
	Problems          []string `json:"problems"`
}

// runRules is `rules apply`: it asks a running bridge to re-apply its group
// rules to every user (POST /admin/rules/apply) and prints what changed.
// The rules' work and its retries live in the server, so the command is a
// client of it rather than a second process on the data file.
func runRules(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	const use = "usage: absorb-scim rules apply [-url URL] [-token-file FILE] [-json]"
	if len(args) > 0 && isHelpFlag(args[0]) {
		fmt.Fprintf(stdout, "%s\n\n  apply  ask a running bridge to re-apply its group rules to every user\n\nSee 'absorb-scim rules apply -h' for the flags.\n", use)
		return nil
	}
	if len(args) == 0 || args[0] != "apply" {
		fmt.Fprintln(stderr, use)
		return errUsage
	}
	fs := newFlagSet("rules apply", stderr)
	base := fs.String("url", "http://127.0.0.1:8080", "base URL of the running bridge")
	tokenFile := fs.String("token-file", "", "file holding a read-write SCIM bearer token (default: $"+config.EnvPrefix+"TOKEN)")
	timeout := fs.Duration("timeout", 10*time.Minute, "how long to wait for the answer")
	asJSON := fs.Bool("json", false, "print the bridge's JSON answer")
	if err := fs.Parse(args[1:]); err != nil {
		return flagError(err)
	}
	token := getenv(config.EnvPrefix + "TOKEN")
	if *tokenFile != "" {
		b, err := os.ReadFile(*tokenFile)
		if err != nil {
			return fmt.Errorf("rules apply: %w", err)
		}
		token = strings.TrimSpace(string(b))
	}
	if token == "" {
		fmt.Fprintln(stderr, "absorb-scim rules apply: give a read-write SCIM token with -token-file or "+config.EnvPrefix+"TOKEN")
		return errUsage
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	url := strings.TrimSuffix(*base, "/") + "/admin/rules/apply"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, nil)
	if err != nil {
		return fmt.Errorf("rules apply: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	fmt.Fprintf(stderr, "asking %s to re-apply the group rules to every user: departments and enrollments in Absorb are changed to match\n", *base)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("rules apply: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return fmt.Errorf("rules apply: read the answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		var scimErr struct{ Detail string }
		_ = json.Unmarshal(body, &scimErr)
		return fmt.Errorf("rules apply: %s answered %s: %s", url, resp.Status, scimErr.Detail)
	}
	if *asJSON {
		_, err := stdout.Write(body)
		return err
	}
	var rep rulesReport
	if err := json.Unmarshal(body, &rep); err != nil {
		return fmt.Errorf("rules apply: the answer is not a report: %w", err)
	}
	fmt.Fprintf(stdout, "%d users: %d department changes, %d enrollments, %d unenrollments, %d failures\n",
		rep.Users, rep.DepartmentChanges, rep.Enrollments, rep.Unenrollments, rep.Failures)
	for _, p := range rep.Problems {
		fmt.Fprintf(stdout, "    failure: %s\n", p)
	}
	if rep.Failures > 0 {
		return fmt.Errorf("rules apply: %d failures; see the bridge's log", rep.Failures)
	}
	return nil
}
