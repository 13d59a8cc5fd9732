package config

import (
	"errors"
	"strings"
	"testing"
)

func TestStorageDefaultsToBbolt(t *testing.T) {
	cfg, err := Load(writeFile(t, "c.yaml", validYAML), noEnv)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if cfg.Storage.Driver != DriverBbolt {
		t.Errorf("storage.driver = %q, want %q", cfg.Storage.Driver, DriverBbolt)
	}
}

func TestStoragePostgresFromFileEnvAndSecretFile(t *testing.T) {
	const url = "postgres://scim:pa%40ss@db.example.com:5432/absorb_scim?sslmode=require"
	withPG := validYAML + "storage:\n  driver: postgres\n  postgres:\n    url: " + url + "\n"
	cfg, err := Load(writeFile(t, "pg.yaml", withPG), noEnv)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if cfg.Storage.Driver != DriverPostgres || cfg.Storage.Postgres.URL != url {
		t.Errorf("storage = %+v", cfg.Storage)
	}

	urlFile := writeFile(t, "pg-url", "postgres://scim:from-file@db:5432/other\n")
	env := map[string]string{
		"ABSORB_SCIM_STORAGE_DRIVER":            "postgres",
		"ABSORB_SCIM_STORAGE_POSTGRES_URL_FILE": urlFile,
	}
	cfg, err = Load(writeFile(t, "c.yaml", validYAML), func(k string) string { return env[k] })
	if err != nil {
		t.Fatalf("Load with env: %v", err)
	}
	if got, want := cfg.Storage.Postgres.URL, "postgres://scim:from-file@db:5432/other"; got != want {
		t.Errorf("url from ABSORB_SCIM_STORAGE_POSTGRES_URL_FILE = %q, want %q (trailing newline dropped)", got, want)
	}

	env = map[string]string{"ABSORB_SCIM_STORAGE_POSTGRES_URL": "postgres://scim:env@db/envdb"}
	cfg, err = Load(writeFile(t, "pg.yaml", withPG), func(k string) string { return env[k] })
	if err != nil {
		t.Fatalf("Load with env url: %v", err)
	}
	if got := cfg.Storage.Postgres.URL; got != "postgres://scim:env@db/envdb" {
		t.Errorf("ABSORB_SCIM_STORAGE_POSTGRES_URL did not override the file: %q", got)
	}
}

func TestStorageProblemsNameTheKeyAndNeverThePassword(t *testing.T) {
	for _, tc := range []struct {
		name, storage, key string
	}{
		{"unknown driver", "storage: {driver: mysql}", `storage.driver: "mysql" must be bbolt`},
		{"postgres without url", "storage: {driver: postgres}", "storage.postgres.url: required when storage.driver is postgres"},
		{"url that does not parse", "storage: {driver: postgres, postgres: {url: 'postgres://scim:hunter2#x@db:5432/absorb'}}", "storage.postgres.url: does not parse"},
		{"bad port", "storage: {driver: postgres, postgres: {url: 'postgres://scim:hunter2@db:port/absorb'}}", "storage.postgres.url: does not parse"},
		{"other scheme", "storage: {driver: postgres, postgres: {url: 'mysql://scim:hunter2@db/absorb'}}", "storage.postgres.url: the scheme must be postgres://"},
		{"key=value", "storage: {driver: postgres, postgres: {url: 'host=db password=hunter2 dbname=absorb'}}", "storage.postgres.url: is a key=value connection string"},
		{"no database", "storage: {driver: postgres, postgres: {url: 'postgres://scim:hunter2@db:5432'}}", "storage.postgres.url: names no database"},
		{"no host", "storage: {driver: postgres, postgres: {url: 'postgres://scim:hunter2@/absorb'}}", "storage.postgres.url: names no host"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(writeFile(t, "c.yaml", validYAML+tc.storage+"\n"), noEnv)
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("Load = %v, want *Error", err)
			}
			if len(ce.Problems) != 1 || !strings.Contains(ce.Problems[0], tc.key) {
				t.Errorf("problems = %q, want one line with %q", ce.Problems, tc.key)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("the password is in the message: %s", err)
			}
		})
	}
}

func TestStorageUnixSocketURL(t *testing.T) {
	pg := validYAML + "storage: {driver: postgres, postgres: {url: 'postgres://scim@/absorb?host=/run/postgresql'}}\n"
	if _, err := Load(writeFile(t, "c.yaml", pg), noEnv); err != nil {
		t.Errorf("Load of a Unix-socket URL: %v", err)
	}
}

func TestRedactURL(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://scim:hunter2@db:5432/absorb?sslmode=require": "postgres://scim:xxxxx@db:5432/absorb?sslmode=require",
		"postgres://scim@db/absorb?password=hunter2":             "postgres://scim@db/absorb?password=xxxxx",
		"postgres://db/absorb":                                   "postgres://db/absorb",
		"postgres://scim:hunter2#@db/absorb":                     "(a URL that does not parse)",
	} {
		if got := RedactURL(in); got != want {
			t.Errorf("RedactURL(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestURLSecrets(t *testing.T) {
	got := URLSecrets("postgres://scim:p%40ss@db/absorb?password=q")
	want := []string{"p@ss", "p%40ss", "q"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("URLSecrets = %q, want %q", got, want)
	}
}
