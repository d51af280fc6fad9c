package browser

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"tongdu/platform/auth"
	"tongdu/services/governance"
)

// signIn fills the staff form and sends it.
func (b *browser) signIn(login, password string) {
	b.t.Helper()
	b.visit("/signin")
	b.do(
		chromedp.SendKeys(css(`#f-login`), login),
		chromedp.SendKeys(css(`#f-password`), password),
	)
	b.follow(`form:has(#f-login) button[type=submit]`)
}

// Rule 16 on screen: the first administrator, made at the machine, signs in through the
// form in Chinese; a wrong password is told beside the password field; the session's
// cookie is out of scripts' reach and also signs the browser in to the REST API; the
// language switches to English and stays; sign-out ends the session. Both pages pass
// axe on a desktop and on a phone.
func TestSignInOnScreen(t *testing.T) {
	s := startSite(t)
	const password = "长安街-十二个字-还不止呢"
	s.addAccount(governance.NewAccount{Login: "chen.admin", DisplayName: "陈主任", Role: auth.DistrictAdmin, Password: password})

	for _, size := range [][2]int64{desktop, phone} {
		b := s.open(size)
		b.visit("/")
		if loc := b.location(); !strings.HasPrefix(loc, "/signin") {
			t.Fatalf("signed out, / went to %s", loc)
		}
		if h := b.text("h1"); h != "登录" {
			t.Fatalf("sign-in heading %q", h)
		}
		b.accessible()

		b.signIn("chen.admin", "not the password")
		if e := b.text("#f-password-error"); e != "登录名或密码不正确" {
			t.Fatalf("wrong password: error beside the field %q", e)
		}
		b.accessible()

		b.signIn("Chen.Admin", password)
		if h := b.text("main h1"); !strings.Contains(h, "陈主任") {
			t.Fatalf("after signing in: heading %q at %s", h, b.location())
		}
		cookies := eval[string](b, `document.cookie`)
		if strings.Contains(cookies, auth.SessionCookie) {
			t.Fatalf("the session cookie is readable by scripts: %q", cookies)
		}
		b.do(chromedp.Navigate(s.base + "/v1/accounts"))
		api := b.text("body")
		if !strings.Contains(api, `"login":"chen.admin"`) {
			t.Fatalf("the console's cookie does not sign in to the REST API: %s", api)
		}
		b.visit("/")
		b.accessible()

		b.do(chromedp.Click(css(`a.lang`)), chromedp.WaitReady(css(`html[lang="en"]`)))
		if h := b.text("main h1"); h != "Welcome, 陈主任" {
			t.Fatalf("in English: heading %q", h)
		}
		b.do(chromedp.Click(css(`a.lang`)), chromedp.WaitReady(css(`html[lang="zh-CN"]`)))

		b.follow(`form[action="/signout"] button`)
		if loc := b.location(); !strings.HasPrefix(loc, "/signin") {
			t.Fatalf("after signing out: at %s", loc)
		}
		b.do(chromedp.Navigate(s.base + "/v1/accounts"))
		api = b.text("body")
		if strings.Contains(api, "chen.admin") {
			t.Fatalf("signed out, the REST API still answers: %s", api)
		}
	}
}

// The sign-in form works with scripts off (a plain POST and redirect), and its error
// still shows beside the field.
func TestSignInWithoutScripts(t *testing.T) {
	s := startSite(t)
	s.addAccount(governance.NewAccount{Login: "wang.grid", DisplayName: "王网格", Role: auth.DistrictAdmin, Password: testPassword})
	b := s.openNoScript(phone)
	b.signIn("wang.grid", "wrong password here")
	if e := b.text("#f-password-error"); e == "" {
		t.Fatal("no error beside the password without scripts")
	}
	b.signIn("wang.grid", testPassword)
	if h := b.text("main h1"); !strings.Contains(h, "王网格") {
		t.Fatalf("signed in without scripts: heading %q at %s", h, b.location())
	}
}
