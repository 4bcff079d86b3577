// Package plugintest is the conformance kit for mmcseg segmenter plugins:
// it starts a plugin through the real go-plugin subprocess path (or serves a
// Go implementation in process) and checks that it honours the contract:
//
//   - handshake: it starts, speaks application protocol version 1 (with
//     AutoMTLS when it is a Go binary) within the start timeout;
//   - describe: its description is complete and valid (well-formed SNOMED
//     CT concept identifiers, parameters whose defaults parse, a segment for
//     every input it accepts, visible colours) and stable;
//   - masks/*: it answers slices of awkward sizes (1×1, 257×257, 7×300,
//     300×7, a large slice above gRPC's 4 MiB default) with masks of the
//     right size and declared labels;
//   - series: it answers every slice of a multi-slice series, in order;
//   - aux: asked for every auxiliary map it declares, it attaches each to
//     every mask ("clusters" at the mask's size); skipped when it declares
//     none;
//   - input/*: it segments every accepted combination of modality and
//     pixel format;
//   - bad-input/*: it rejects bad parameters, unaccepted formats and
//     modalities, truncated, mis-sized and non-finite slices with errors,
//     and keeps running;
//   - cancellation: a cancelled series stops promptly and the plugin
//     serves the next one;
//   - concurrency: several series at once all complete, with the same
//     masks as when run alone (for deterministic plugins);
//   - determinism and progress, reported for information.
//
// Use it from a plugin's go test with Run (or RunInProcess for a Go
// implementation without building it), or from the command line with
// `mmcseg plugin check PATH`. A plugin that crashes, hangs or breaks the
// protocol fails the check concerned with the host's error message, and the
// kit restarts it for the remaining checks.
package plugintest
