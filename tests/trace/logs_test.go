package trace

import (
	"bytes"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
)

// A log line written while serving a request carries that request's trace id, so an
// operator goes from a log line to its trace (and back). Previewing an import of a
// household register logs "import previewed" in the governance service, two hops
// behind the gateway: that line must carry the trace of the gateway's span, and no
// personal data of the rows.
func TestLogLinesCarryTheirRequestsTrace(t *testing.T) {
	c := startApp(t, nil)
	a := c.setupApprovable()

	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	_ = w.WriteField("kind", "HOUSEHOLDS")
	_ = w.WriteField("compoundId", a.compoundID)
	_ = w.WriteField("dryRun", "true")
	part, _ := w.CreateFormFile("file", "register.csv")
	_, _ = part.Write([]byte("楼栋,单元,房号,专有面积,姓名,电话\r\n2栋,1,101,72.5,诸葛明月,13987650009\r\n"))
	_ = w.Close()
	req, _ := http.NewRequest("POST", c.base+"/v1/imports", &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := c.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("import preview answered %d", resp.StatusCode)
	}
	traceID := c.gatewaySpan(t, "POST /v1/imports").traceID

	var previewed []map[string]any
	for _, line := range strings.Split(c.logs.String(), "\n") {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) == nil && rec["msg"] == "import previewed" {
			previewed = append(previewed, rec)
		}
	}
	if len(previewed) != 1 {
		t.Fatalf("%d log lines say the import was previewed, want 1", len(previewed))
	}
	if got := previewed[0]["trace_id"]; got != traceID {
		t.Errorf("the preview's log line has trace_id %v, want the request's trace %s: %v", got, traceID, previewed[0])
	}
	if id, _ := previewed[0]["span_id"].(string); id == "" {
		t.Errorf("the preview's log line names no span: %v", previewed[0])
	}
	for _, personal := range []string{"诸葛明月", "13987650009"} {
		if strings.Contains(c.logs.String(), personal) {
			t.Errorf("the log holds personal data %q of the imported rows", personal)
		}
	}
}
