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

// rulesReport is the answer of POST /admin/rules/apply and, without
// users and problems, of GET /admin/rules.
type rulesReport struct {
	Users                     int      `json:"users"`
	DepartmentChanges         int      `json:"departmentChanges"`
	DepartmentChangesByUpload int      `json:"departmentChangesByUpload"`
	UploadCalls               int      `json:"uploadCalls"`
	Enrollments               int      `json:"enrollments"`
	Unenrollments             int      `json:"unenrollments"`
	Failures                  int      `json:"failures"`
	Pending                   int      `json:"pending"`
	Problems                  []string `json:"problems"`
}

// changes says what a report counts, for people.
func (r rulesReport) changes() string {
	s := fmt.Sprintf("%d department changes", r.DepartmentChanges)
	if r.UploadCalls > 0 {
		s += fmt.Sprintf(" (%d of them in %d uploads)", r.DepartmentChangesByUpload, r.UploadCalls)
	}
	return s + fmt.Sprintf(", %d enrollments, %d unenrollments, %d failures", r.Enrollments, r.Unenrollments, r.Failures)
}

// runRules is `rules apply` and `rules status`. apply asks a running bridge
// to re-apply its group rules to every user (POST /admin/rules/apply) and
// prints what changed; status prints how many users the rules still have
// work queued for and what they did since start (GET /admin/rules). The
// rules' work and its retries live in the server, so the command is a
// client of it rather than a second process on the data file.
func runRules(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	const use = "usage: absorb-scim rules apply|status [-url URL] [-token-file FILE] [-json]"
	if len(args) > 0 && isHelpFlag(args[0]) {
		fmt.Fprintf(stdout, "%s\n\n  apply   ask a running bridge to re-apply its group rules to every user\n  status  how many users a running bridge's group rules still have work for, and what they did\n\nSee 'absorb-scim rules apply -h' (or status -h) for the flags.\n", use)
		return nil
	}
	if len(args) == 0 || (args[0] != "apply" && args[0] != "status") {
		fmt.Fprintln(stderr, use)
		return errUsage
	}
	sub := args[0]
	fs := newFlagSet("rules "+sub, stderr)
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
			return fmt.Errorf("rules %s: %w", sub, err)
		}
		token = strings.TrimSpace(string(b))
	}
	if token == "" {
		fmt.Fprintf(stderr, "absorb-scim rules %s: give a read-write SCIM token with -token-file or %sTOKEN\n", sub, config.EnvPrefix)
		return errUsage
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	method, url := http.MethodGet, strings.TrimSuffix(*base, "/")+"/admin/rules"
	if sub == "apply" {
		method, url = http.MethodPost, url+"/apply"
	}
	req, err := http.NewRequestWithContext(ctx, method, url, nil)
	if err != nil {
		return fmt.Errorf("rules %s: %w", sub, err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if sub == "apply" {
		fmt.Fprintf(stderr, "asking %s to re-apply the group rules to every user: departments and enrollments in Absorb are changed to match\n", *base)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("rules %s: %w", sub, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return fmt.Errorf("rules %s: read the answer: %w", sub, err)
	}
	if resp.StatusCode != http.StatusOK {
		var scimErr struct{ Detail string }
		_ = json.Unmarshal(body, &scimErr)
		return fmt.Errorf("rules %s: %s answered %s: %s", sub, url, resp.Status, scimErr.Detail)
	}
	if *asJSON {
		_, err := stdout.Write(body)
		return err
	}
	var rep rulesReport
	if err := json.Unmarshal(body, &rep); err != nil {
		return fmt.Errorf("rules %s: the answer is not a report: %w", sub, err)
	}
	if sub == "status" {
		fmt.Fprintf(stdout, "%d users pending; since start: %s\n", rep.Pending, rep.changes())
		return nil
	}
	fmt.Fprintf(stdout, "%d users: %s\n", rep.Users, rep.changes())
	for _, p := range rep.Problems {
		fmt.Fprintf(stdout, "    failure: %s\n", p)
	}
	if rep.Failures > 0 {
		return fmt.Errorf("rules apply: %d failures; see the bridge's log", rep.Failures)
	}
	return nil
}
