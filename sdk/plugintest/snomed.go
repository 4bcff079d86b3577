package plugintest

import "fmt"

// checkSCTID says what is wrong with the form of a SNOMED CT concept
// identifier, or returns nil: 6 to 18 digits, no leading zero, and the
// partition identifier of a concept ("00", or "10" in an extension) before
// the final check digit. The check digit itself is not verified.
func checkSCTID(id string) error {
	if len(id) < 6 || len(id) > 18 {
		return fmt.Errorf("%q has %d digits, SNOMED CT identifiers have 6 to 18", id, len(id))
	}
	if id[0] == '0' {
		return fmt.Errorf("%q starts with 0", id)
	}
	for i := 0; i < len(id); i++ {
		if id[i] < '0' || id[i] > '9' {
			return fmt.Errorf("%q is not all digits", id)
		}
	}
	if part := id[len(id)-3 : len(id)-1]; part != "00" && part != "10" {
		return fmt.Errorf("%q has partition %s, not that of a concept (00 or 10)", id, part)
	}
	return nil
}
