// Package browser drives the web console in a real headless Chromium (Debian's
// chromium, through chromedp): people sign in and do their work on screen, every page
// is checked with axe-core for serious and critical accessibility violations, and a
// failing test leaves a screenshot of what the browser showed.
package browser

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"tongdu/cmd/tongdu/allinone"
	"tongdu/platform/auth"
	"tongdu/platform/redisconn"
	"tongdu/platform/servicemain"
	"tongdu/platform/testkit"
	"tongdu/services/governance"
)

func TestMain(m *testing.M) { testkit.Main(m) }

// site is one running Tongdu with its console.
type site struct {
	t        *testing.T
	app      *allinone.App
	redisURL string
	base     string
	conn     *grpc.ClientConn
}

// startSite runs the all-in-one on an empty database of the test kit's redis-server,
// with modules configured as given (none: the defaults).
func startSite(t *testing.T, modules ...*servicemain.Module) *site {
	t.Helper()
	s := &site{t: t, redisURL: testkit.RedisURL(t)}
	logs := &testkit.LogBuffer{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server log:\n%s", logs.String())
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	app, err := allinone.Start(ctx, allinone.Config{HTTPAddr: "127.0.0.1:0", GRPCAddr: "127.0.0.1:0", RedisURL: s.redisURL, DataDir: t.TempDir(),
		Modules: allinone.With(modules...)},
		slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo})))
	if err != nil {
		t.Fatalf("start the all-in-one: %v", err)
	}
	t.Cleanup(app.Close)
	s.app, s.base = app, app.HTTPBase()
	s.conn, err = grpc.NewClient(app.GRPCAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.conn.Close() })
	return s
}

// token signs a token for p, as a district system would hold one (for setting up what
// a test needs before the people in it sign in).
func (s *site) token(p auth.Principal) string {
	s.t.Helper()
	tok, err := s.app.Signer().Sign(p, time.Hour)
	if err != nil {
		s.t.Fatal(err)
	}
	return tok
}

// addAccount makes a staff account as `tongdu user add` does, at the machine.
func (s *site) addAccount(a governance.NewAccount) {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	rdb, err := redisconn.Open(ctx, s.redisURL, log)
	if err != nil {
		s.t.Fatal(err)
	}
	defer rdb.Close()
	if a.CreatedBy == "" {
		a.CreatedBy = "cli:test"
	}
	if _, _, err := governance.AddAccount(ctx, rdb, log, a); err != nil {
		s.t.Fatalf("add %s: %v", a.Login, err)
	}
}

// Screen sizes the console must work on.
var (
	desktop = [2]int64{1280, 900}
	phone   = [2]int64{390, 844}
)

// browser is one headless Chromium tab on the site.
type browser struct {
	t    *testing.T
	site *site
	ctx  context.Context
	size [2]int64
}

// chromium finds the browser, or skips the test where there is none (CI installs it
// and sets TONGDU_REQUIRE_BROWSER, so there a missing browser fails).
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("TONGDU_REQUIRE_BROWSER") != "" {
		t.Fatal("no chromium on PATH (apt-get install -y chromium fonts-noto-cjk)")
	}
	t.Skip("no chromium on PATH")
	return ""
}

// openNoScript is open with scripts turned off: every form must work without them.
func (s *site) openNoScript(size [2]int64) *browser {
	b := s.open(size)
	b.do(chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
		return err
	}))
	return b
}

// open starts a browser of the given size on s. It closes when the test ends; if the
// test failed by then, a screenshot of the page goes to the test's failure output
// directory (TONGDU_SCREENSHOTS, or the system's temp dir) and its path to the log.
func (s *site) open(size [2]int64) *browser {
	t := s.t
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium(t)),
		chromedp.NoSandbox,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("lang", "zh-CN"),
		chromedp.WindowSize(int(size[0]), int(size[1])),
		chromedp.Flag("headless", true),
	)
	viewport := chromedp.EmulateViewport(size[0], size[1])
	if size[0] < 600 {
		viewport = chromedp.EmulateViewport(size[0], size[1], chromedp.EmulateMobile, chromedp.EmulateTouch)
	}
	// The first Run starts the browser; it must not carry a timeout (that would end it).
	// On a busy machine Chromium now and then fails to come up ("chrome failed to
	// start"); a browser that never started tests nothing, so it is started again.
	var (
		b                      *browser
		cancelAlloc, cancelTab context.CancelFunc
	)
	for attempt := 1; ; attempt++ {
		var actx, ctx context.Context
		actx, cancelAlloc = chromedp.NewExecAllocator(context.Background(), opts...)
		ctx, cancelTab = chromedp.NewContext(actx)
		b = &browser{t: t, site: s, ctx: ctx, size: size}
		err := chromedp.Do(ctx, viewport)
		if err == nil {
			break
		}
		cancelTab()
		cancelAlloc()
		if attempt == 3 {
			t.Fatalf("start chromium (3 attempts): %v", err)
		}
		t.Logf("start chromium, attempt %d: %v", attempt, err)
		time.Sleep(time.Second)
	}
	t.Cleanup(func() {
		if t.Failed() {
			b.screenshot("failed")
		}
		cancelTab()
		cancelAlloc()
	})
	return b
}

// css names elements by a CSS selector.
type css = chromedp.CSS

// do runs steps in order with a time limit, failing the test on error.
func (b *browser) do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatalf("browser at %s: %v", b.site.base, err)
	}
}

// get runs one action that answers a value.
func get[T any](b *browser, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		b.t.Fatalf("browser: %v", err)
	}
	return v
}

// visit opens path and waits for the page's main content.
func (b *browser) visit(path string) {
	b.t.Helper()
	b.do(chromedp.Navigate(b.site.base+path), chromedp.WaitReady(css("main")))
}

// follow clicks sel (a link or a form's button) and waits for the page it leads to: a
// new page, or the same page swapped in by htmx (both replace main).
func (b *browser) follow(sel string) {
	b.t.Helper()
	b.do(
		// A page htmx has just swapped in settles for a moment, and a click in that moment
		// is dropped; a person never clicks that fast, a test does.
		chromedp.Evaluate[chromedp.Void](`new Promise(r => { const f = () => document.querySelector(".htmx-settling, .htmx-swapping, .htmx-request") ? setTimeout(f, 10) : r(); f(); })`, chromedp.EvalAwaitPromise),
		chromedp.Evaluate[chromedp.Void](`document.querySelector("main").dataset.left = "1"`, chromedp.EvalAsValue),
		chromedp.Click(css(sel)),
		chromedp.WaitReady(css("main:not([data-left])")),
	)
}

// text is the visible text of the first element matching sel.
func (b *browser) text(sel string) string {
	b.t.Helper()
	return strings.TrimSpace(get(b, chromedp.Text(css(sel), chromedp.NodeVisible)))
}

// eval is a script's value.
func eval[T any](b *browser, script string) T {
	b.t.Helper()
	return get(b, chromedp.Evaluate[T](script, chromedp.EvalAwaitPromise))
}

// location is the page's path and query.
func (b *browser) location() string {
	b.t.Helper()
	return eval[string](b, `location.pathname + location.search`)
}

// screenshot saves the whole page as a PNG and logs where.
func (b *browser) screenshot(name string) string {
	dir := os.Getenv("TONGDU_SCREENSHOTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "tongdu-screenshots")
	}
	_ = os.MkdirAll(dir, 0o755)
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // 100: PNG, not JPEG
	if err != nil {
		b.t.Logf("no screenshot: %v", err)
		return ""
	}
	path := filepath.Join(dir, fmt.Sprintf("%s-%s-%dx%d.png", sanitize(b.t.Name()), name, b.size[0], b.size[1]))
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Logf("no screenshot: %v", err)
		return ""
	}
	b.t.Logf("screenshot: %s", path)
	return path
}

func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' {
			return r
		}
		return '_'
	}, s)
}

// axeSource is axe-core, vendored with the console's assets but never served by it.
var axeSource = func() string {
	b, err := os.ReadFile(filepath.Join("..", "..", "web", "assets", "vendor", "axe.min.js"))
	if err != nil {
		panic("axe-core is missing from web/assets/vendor (make web-assets): " + err.Error())
	}
	return string(b)
}()

// violation is what axe reports of a broken rule.
type violation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target []any  `json:"target"`
		HTML   string `json:"html"`
	} `json:"nodes"`
}

// accessible runs axe-core on the page as it is now and fails on any serious or
// critical violation (WCAG 2.1 A and AA rules and axe's best practices).
func (b *browser) accessible() {
	b.t.Helper()
	if os.Getenv("TONGDU_SCREENSHOTS_ALL") != "" {
		// For people reviewing the screens: every page checked is kept as a picture.
		b.screenshot(sanitize(b.location()))
	}
	script := axeSource + `;(async () => { const r = await axe.run(document, {resultTypes: ["violations"]}); return JSON.stringify(r.violations); })()`
	out := eval[string](b, script)
	var vs []violation
	if err := json.Unmarshal([]byte(out), &vs); err != nil {
		b.t.Fatalf("axe answer %q: %v", out, err)
	}
	for _, v := range vs {
		if v.Impact == "serious" || v.Impact == "critical" {
			where := ""
			for _, n := range v.Nodes {
				where += fmt.Sprintf("\n    %v %s", n.Target, n.HTML)
			}
			b.t.Errorf("%s: axe %s (%s): %s%s", b.location(), v.ID, v.Impact, v.Help, where)
		}
	}
}
