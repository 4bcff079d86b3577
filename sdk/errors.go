package sdk

import (
	"errors"
	"fmt"
	"strings"
)

// Kinds of plugin failure, for errors.Is on an *Error. ErrInvalidInput,
// ErrUnsupported and ErrBadParam (input problems) are the other kinds.
var (
	// ErrStart: the plugin did not start: not executable, checksum
	// mismatch, a broken or incompatible handshake, no answer within the
	// start timeout, or an invalid description.
	ErrStart = errors.New("plugin did not start")
	// ErrExited: the plugin process ended while in use.
	ErrExited = errors.New("plugin exited")
	// ErrHung: no message from the plugin within the inactivity timeout;
	// the plugin process was stopped.
	ErrHung = errors.New("plugin stopped responding")
	// ErrProtocol: the plugin's answers break the contract (a mask of the
	// wrong size, an undeclared label, answers out of order, no Done).
	ErrProtocol = errors.New("plugin broke the contract")
	// ErrPluginFailed: the plugin reported an internal failure for the
	// whole series.
	ErrPluginFailed = errors.New("plugin failed")
	// ErrClosed: the plugin was closed (or stopped after a hang) before or
	// during the call.
	ErrClosed = errors.New("plugin closed")
)

// Error is a failure of a plugin call, naming the plugin, the series and,
// where it applies, the slice: "plugin kmeans exited with status 3 while
// segmenting slice 12 of series 1.2.3".
type Error struct {
	// Plugin is the plugin's name (from Describe) or, before that is
	// known, its file name.
	Plugin string
	// Series is the series UID, "" when not about a series.
	Series string
	// Slice is the slice concerned, -1 when none.
	Slice int
	// Kind is one of the sentinel errors above (or ErrInvalidInput,
	// ErrUnsupported, ErrBadParam), matched by errors.Is.
	Kind error
	// What says what happened, as a verb phrase ("exited with status 3").
	What string
	// Err is the underlying cause, if any.
	Err error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("plugin ")
	b.WriteString(e.Plugin)
	b.WriteString(" ")
	b.WriteString(e.What)
	if e.Slice >= 0 {
		fmt.Fprintf(&b, " while segmenting slice %d", e.Slice)
	}
	if e.Series != "" {
		if e.Slice >= 0 {
			b.WriteString(" of")
		} else {
			b.WriteString(" for")
		}
		fmt.Fprintf(&b, " series %s", e.Series)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() []error {
	var out []error
	if e.Kind != nil {
		out = append(out, e.Kind)
	}
	if e.Err != nil {
		out = append(out, e.Err)
	}
	return out
}
