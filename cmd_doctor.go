package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/absorb-scim/absorb-scim/absorbapi"
	"github.com/absorb-scim/absorb-scim/config"
	"github.com/absorb-scim/absorb-scim/doctor"
)

// doctorFileName is where doctor records what it found, in the data
// directory, for serve to use.
const doctorFileName = "doctor.json"

func runDoctor(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlagSetArgs("doctor", "-config FILE [-json] [-write-test USERNAME [-write-test-course NAME]]", stderr)
	cfgPath := fs.String("config", "", "configuration file (YAML), the one serve reads; also "+config.EnvPrefix+"CONFIG")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	writeTest := fs.String("write-test", "", "also create or reuse a throwaway learner with this username, probe writes on it, then deactivate it")
	course := fs.String("write-test-course", "", "with -write-test: a course (id or name) to enroll the learner in and unenroll again")
	tenant := fs.String("tenant", "", tenantFlagUsage)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return flag.ErrHelp
		}
		return &exitError{code: 2, err: errUsage}
	}
	if fs.NArg() > 0 || (*course != "" && *writeTest == "") {
		fs.Usage()
		return &exitError{code: 2, err: errUsage}
	}
	cfg, err := loadConfig(serveFlags{config: *cfgPath}, getenv)
	if err != nil {
		if configError(err, stderr) != nil {
			return &exitError{code: 2, err: errUsage}
		}
	}
	if cfg, err = forTenant(cfg, *tenant, true); err != nil {
		fmt.Fprintln(stderr, "absorb-scim: doctor:", err)
		return &exitError{code: 2, err: errUsage}
	}
	// Beside replicas on PostgreSQL, doctor uses their token: a login of
	// its own would revoke it.
	clientCfg := absorbClientConfig(cfg)
	tokens, closeTokens := sharedTokens(ctx, cfg)
	defer closeTokens()
	clientCfg.TokenStore = tokens
	client, err := absorbapi.New(clientCfg)
	if err != nil {
		fmt.Fprintln(stderr, "absorb-scim: doctor:", err)
		return &exitError{code: 2, err: errUsage}
	}
	dc := doctorConfig(cfg, client)
	if *writeTest != "" {
		dc.WriteTest = &doctor.WriteTest{Username: *writeTest, Course: *course}
		plan := fmt.Sprintf("write test: creating or reusing learner %q in department %q, probing create, PUT, dates and the upload", *writeTest, cfg.Mapping.DefaultDepartment)
		if *course != "" {
			plan += fmt.Sprintf(", enrolling it in and unenrolling it from %q", *course)
		}
		fmt.Fprintln(stderr, plan+", then deactivating it")
	}
	rep := doctor.Run(ctx, dc)
	storeCheck := storageCheck(ctx, cfg) // app_store.go
	rep.Checks = append(rep.Checks, storeCheck)
	rep.OK = rep.OK && storeCheck.OK
	if err := recordDoctor(cfg.DataDir, withEarlierFindings(cfg.DataDir, rep)); err != nil {
		fmt.Fprintf(stderr, "absorb-scim: doctor: not recorded for serve: %v\n", err)
	}
	if *asJSON {
		if err := writeJSONIndent(stdout, rep); err != nil {
			return err
		}
	} else {
		printDoctor(stdout, rep)
	}
	if !rep.OK {
		return &exitError{code: 1, err: errors.New("doctor: something blocks provisioning")}
	}
	return nil
}

// doctorConfig is what doctor checks for cfg.
func doctorConfig(cfg config.Config, client *absorbapi.Client) doctor.Config {
	dc := doctor.Config{
		Absorb:            client,
		Names:             configNames(cfg),
		DefaultDepartment: cfg.Mapping.DefaultDepartment,
	}
	for field, path := range cfg.MappingConfig().Fields {
		if slot, ok := strings.CutPrefix(field, "customFields."); ok && path != "" {
			dc.CustomFields = append(dc.CustomFields, slot)
		}
	}
	sort.Strings(dc.CustomFields)
	return dc
}

// withEarlierFindings is rep with the behaviours it could not find out
// taken from the report recorded before: a run without the write test
// cannot tell create, put and answers, and must not forget what an earlier
// write test found.
func withEarlierFindings(dataDir string, rep doctor.Report) doctor.Report {
	prev, err := doctor.ReadReport(filepath.Join(dataDir, doctorFileName))
	if err != nil {
		return rep
	}
	rep.Behaviour, _ = prev.Behaviour.Pin(rep.Behaviour)
	return rep
}

// recordDoctor writes the report into the data directory.
func recordDoctor(dataDir string, rep doctor.Report) error {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return err
	}
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	path := filepath.Join(dataDir, doctorFileName)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// printDoctor writes the report for people: one line per check, what to do
// under each that failed, then the behaviours found.
func printDoctor(w io.Writer, rep doctor.Report) {
	for _, c := range rep.Checks {
		mark := "ok  "
		switch {
		case !c.OK && c.Blocks:
			mark = "FAIL"
		case !c.OK:
			mark = "warn"
		}
		fmt.Fprintf(w, "%s %-18s %s\n", mark, c.Name, c.Detail)
		if c.Fix != "" && !c.OK {
			fmt.Fprintf(w, "     %-18s fix: %s\n", "", c.Fix)
		}
	}
	b := rep.Behaviour
	fmt.Fprintf(w, "behaviour: create=%s sort=%s put=%s dates=%s filterPaging=%s answers=%s upload=%s\n",
		b.Create, b.Sort, b.Put, b.Dates, b.FilterPaging, b.Answers, b.Upload)
	if rep.OK {
		fmt.Fprintln(w, "nothing blocks provisioning")
	} else {
		fmt.Fprintln(w, "provisioning is blocked: fix the FAIL lines above")
	}
}

// knownBehaviour is what serve knows of the portal's open behaviours: each
// as absorb.behaviour pins it, else as doctor last recorded it, else
// unknown; and which were pinned.
type knownBehaviour struct {
	doctor.Behaviour
	pinned    []string
	checkedAt time.Time // when doctor recorded the rest; zero when it never ran
}

// absorbBehaviour reads doctor's record from the data directory and applies
// the configuration's pins. The bridge takes the path that is right under
// every value of each behaviour, so what it knows here is what it reports,
// and what lets it skip work only a known value makes needless (a create
// known strict looks nothing up before it posts); a record it cannot read
// is logged and counts as no record.
func absorbBehaviour(cfg config.Config, log *slog.Logger) knownBehaviour {
	found := doctor.UnknownBehaviour()
	var k knownBehaviour
	rep, err := doctor.ReadReport(filepath.Join(cfg.DataDir, doctorFileName))
	switch {
	case err == nil:
		found, k.checkedAt = rep.Behaviour, rep.CheckedAt
	case !errors.Is(err, fs.ErrNotExist):
		log.Warn("doctor's record cannot be read; run absorb-scim doctor again", "error", err)
	}
	k.Behaviour, k.pinned = found.Pin(cfg.Absorb.Behaviour.Doctor())
	return k
}

// logAbsorbBehaviour says at start what the bridge knows of the portal, so a
// support ticket shows it.
func logAbsorbBehaviour(log *slog.Logger, k knownBehaviour) {
	b := k.Behaviour
	args := []any{"create", b.Create, "sort", b.Sort, "put", b.Put, "dates", b.Dates,
		"filterPaging", b.FilterPaging, "answers", b.Answers, "upload", b.Upload, "pinned", strings.Join(k.pinned, ",")}
	if k.checkedAt.IsZero() {
		args = append(args, "doctor", "never run: absorb-scim doctor -config FILE -write-test USERNAME finds out")
	} else {
		args = append(args, "doctorRan", k.checkedAt.Format(time.RFC3339))
	}
	log.Info("Absorb behaviour", args...)
}
