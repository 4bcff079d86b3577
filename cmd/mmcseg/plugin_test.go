package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/mmcseg/mmcseg/internal/buildtest"
)

func TestPluginCheckCommand(t *testing.T) {
	// Cleanup only forgets binaries; later tests rebuild what they need.
	t.Cleanup(buildtest.Cleanup)
	good := buildtest.Binary(t, "./sdk/examples/threshold", "mmcseg-plugin-threshold")
	var out, errb bytes.Buffer
	code := dispatch(context.Background(), []string{"plugin", "check", good, "--large", "300", "--param", "threshold=-100"}, &out, &errb)
	if code != exitOK || !strings.Contains(out.String(), "RESULT: PASS") || !strings.Contains(out.String(), "PASS  handshake") {
		t.Fatalf("good plugin: exit %d\n%s%s", code, out.String(), errb.String())
	}

	broken := buildtest.Binary(t, "./sdk/plugintest/testdata/garbage", "mmcseg-plugin-garbage")
	out.Reset()
	errb.Reset()
	code = dispatch(context.Background(), []string{"plugin", "check", "--json", broken}, &out, &errb)
	var rep struct {
		Passed  bool `json:"passed"`
		Results []struct {
			Name, Status, Message string
		} `json:"results"`
	}
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("JSON report: %v\n%s", err, out.String())
	}
	if code != exitFailed || rep.Passed || len(rep.Results) == 0 || rep.Results[0].Name != "handshake" || rep.Results[0].Status != "FAIL" ||
		!strings.Contains(rep.Results[0].Message, "Unrecognized remote plugin message") {
		t.Fatalf("broken plugin: exit %d, report %+v", code, rep)
	}
}

func TestPluginCommandUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"plugin"}, exitUsage, "check"},
		{[]string{"plugin", "help"}, exitOK, "conformance kit"},
		{[]string{"plugin", "frobnicate"}, exitUsage, `unknown command "frobnicate"`},
		{[]string{"plugin", "check"}, exitUsage, "Usage: mmcseg plugin check [flags] PATH"},
		{[]string{"plugin", "check", "a", "b"}, exitUsage, "Usage: mmcseg plugin check"},
		{[]string{"plugin", "check", "--tls", "maybe", "x"}, exitUsage, "--tls must be auto, on or off"},
		{[]string{"plugin", "check", "--param", "novalue", "x"}, exitUsage, "want name=value"},
	} {
		var out, errb bytes.Buffer
		code := dispatch(context.Background(), tc.args, &out, &errb)
		if code != tc.code || !strings.Contains(out.String()+errb.String(), tc.want) {
			t.Errorf("%q: exit %d, output %q%q; want exit %d with %q", tc.args, code, out.String(), errb.String(), tc.code, tc.want)
		}
	}
}
