package fault

import (
	"fmt"
	"os/exec"
	"path/filepath"
)

// apiPackage is the command the fault tests run.
const apiPackage = "github.com/tincan-dev/tincan/cmd/api"

// Build compiles the api command into dir and returns the binary's path.
// Tests build it once (in TestMain) and start it many times.
func Build(dir string) (string, error) {
	bin := filepath.Join(dir, "api")
	out, err := exec.Command("go", "build", "-o", bin, apiPackage).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build %s: %v\n%s", apiPackage, err, out)
	}
	return bin, nil
}
