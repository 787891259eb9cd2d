package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kring-school/kring/adapters/discord/fakediscord"
	"github.com/kring-school/kring/adapters/slack/fakeslack"
	"github.com/kring-school/kring/bot/metrics"
	"github.com/kring-school/kring/bot/store/storetest"
)

// The real binary, `kring run`, against both fakes at once through the operator's
// base-URL settings (KRING_DISCORD_API_URL, KRING_SLACK_API_URL) and a real Redis: it
// connects to both, answers a Discord command and a Slack DM, serves /healthz, stops
// cleanly on SIGTERM, and every log line is one JSON object with no key twice and no
// token in it.
func TestRunBinaryAgainstBothFakes(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the kring binary")
	}
	bin := filepath.Join(t.TempDir(), "kring")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	t.Run("redis", func(t *testing.T) {
		_, prefix := storetest.Redis(t) // skips or fails as the suite's Redis does
		redisURL := os.Getenv(storetest.EnvURL)
		if redisURL == "" {
			redisURL = storetest.DefaultURL
		}
		runAgainstFakes(t, bin, "KRING_REDIS_URL="+redisURL, "KRING_PREFIX="+prefix)
	})
	// The embedded store runs the same Lua (the shared limiter included) in miniredis.
	t.Run("embedded", func(t *testing.T) {
		runAgainstFakes(t, bin, "KRING_REDIS_URL=", "KRING_DATA="+filepath.Join(t.TempDir(), "kring.json"))
	})
}

func runAgainstFakes(t *testing.T, bin string, storeEnv ...string) {

	const (
		guild   = "200000000000000001"
		klas    = "300000000000000001"
		annaID  = "400000000000000001"
		team    = "T0KRING"
		daanID  = "U0DAAN"
		slackCh = "C0KLAS2B"
	)
	fd := fakediscord.New(fakediscord.Options{Guild: guild, Channels: map[string]string{klas: "klas-2b"}})
	defer fd.Close()
	fs := fakeslack.New(fakeslack.Options{Team: team, BotToken: "xoxb-e2e-secret", AppToken: "xapp-e2e-secret"})
	defer fs.Close()

	raw, err := os.ReadFile("../../examples/school.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg := string(raw)
	cfg = strings.Replace(cfg, `guild: ""`, `guild: "`+guild+`"`, 1)
	cfg = strings.Replace(cfg, `team: ""`, `team: `+team, 1)
	cfg = strings.Replace(cfg, `channel: ""`, `channel: "`+klas+`"`, 1)
	cfg = strings.Replace(cfg, `channel: ""`, `channel: `+slackCh, 1)
	cfg = strings.Replace(cfg, "  - id: anna\n", "  - id: anna\n    discord: \""+annaID+"\"\n", 1)
	cfg = strings.Replace(cfg, "  - id: daan\n", "  - id: daan\n    slack: "+daanID+"\n", 1)
	dir := t.TempDir()
	path := filepath.Join(dir, "school.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	opsAddr := ln.Addr().String()
	_ = ln.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.Command(bin, "run")
	cmd.Env = append(append(os.Environ(), storeEnv...),
		"KRING_CONFIG="+path, "KRING_METRICS_ADDR="+opsAddr,
		"DISCORD_TOKEN="+fd.Token(), "KRING_DISCORD_API_URL="+fd.URL(),
		"SLACK_BOT_TOKEN=xoxb-e2e-secret", "SLACK_APP_TOKEN=xapp-e2e-secret", "KRING_SLACK_API_URL="+fs.APIURL,
	)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.Stdout = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			<-exited
		}
	}()
	fail := func(format string, args ...any) {
		t.Helper()
		t.Fatalf(format+"\nkring's log:\n%s", append(args, stderr.String())...)
	}

	if _, err := fd.Wait(ctx, fakediscord.Route("PUT", "/applications/*/guilds/*/commands")); err != nil {
		fail("Discord commands not registered: %v", err)
	}
	if err := fs.WaitConnected(ctx); err != nil {
		fail("no Socket Mode connection: %v", err)
	}

	// Discord: Anna asks for help in the class channel; the answer comes as a follow-up.
	in, err := fd.SlashCommand(fakediscord.Actor{User: annaID}, klas, "help")
	if err != nil {
		fail("slash command: %v", err)
	}
	if _, err := fd.Wait(ctx, func(r fakediscord.Request) bool {
		return r.Method == "POST" && strings.HasPrefix(r.Path, "/webhooks/") && strings.Contains(r.Path, in.Token) && r.Status < 300
	}); err != nil {
		fail("no answer to /help on Discord: %v", err)
	}

	// Slack: Daan writes the bot a DM while no conversation waits; he gets an answer.
	if _, err := fs.Send(ctx, fakeslack.Envelope{Type: "events_api", Payload: fs.EventCallback("Ev0E2E1", fs.MessageIM(daanID, "hallo?"))}); err != nil {
		fail("slack envelope: %v", err)
	}
	if err := fs.WaitFor(ctx, func() bool { return len(fs.Messages(fs.DM(daanID))) > 0 }); err != nil {
		fail("no answer to Daan's DM on Slack: %v", err)
	}

	if err := healthz(ctx, opsAddr); err != nil {
		fail("/healthz: %v", err)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			fail("kring run after SIGTERM: %v", err)
		}
	case <-ctx.Done():
		fail("kring run did not stop after SIGTERM")
	}

	sc := bufio.NewScanner(bytes.NewReader(stderr.Bytes()))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	lines := 0
	for sc.Scan() {
		line := sc.Text()
		lines++
		if err := uniqueKeys(line); err != nil {
			t.Errorf("log line %d: %v: %s", lines, err, line)
		}
		for _, secret := range []string{fd.Token(), "xoxb-e2e-secret", "xapp-e2e-secret"} {
			if strings.Contains(line, secret) {
				t.Errorf("log line %d holds a token: %s", lines, line)
			}
		}
	}
	if lines == 0 {
		t.Error("kring run logged nothing")
	}
}

// healthz asks the ops server until it answers (it starts listening early in run).
func healthz(ctx context.Context, addr string) error {
	var last error
	for {
		cctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		last = metrics.Probe(cctx, addr)
		cancel()
		if last == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (last: %v)", ctx.Err(), last)
		case <-time.After(100 * time.Millisecond): // polling a separate process
		}
	}
}

// uniqueKeys checks that line is one JSON object whose keys (at the top level) are
// all different.
func uniqueKeys(line string) error {
	dec := json.NewDecoder(strings.NewReader(line))
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('{') {
		return errors.New("not a JSON object")
	}
	seen := map[string]bool{}
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			return err
		}
		key := k.(string)
		if seen[key] {
			return fmt.Errorf("key %q twice", key)
		}
		seen[key] = true
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return err
		}
	}
	return nil
}
