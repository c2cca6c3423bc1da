/// The citizen's tracking page at the city (`GET /track`): one self-contained HTML document, usable on a phone.
/// It asks for the case number and the phone number, shows the public view (`POST /track/:id`) and, while the
/// case waits for one, takes the verdict (`POST /track/:id/verdict`). Everything shown is inserted as text
/// (`textContent`), never as markup, so nothing a case says can run as script.
enum TrackPage {
    static let html = """
    <!DOCTYPE html>
    <html lang="zh-CN">
    <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>工单查询 · Track your request</title>
    <style>
    body { font-family: system-ui, "PingFang SC", "Noto Sans CJK SC", sans-serif; margin: 0; background: #f4f6f8; color: #1d2733; }
    header { background: #b4232a; color: #fff; padding: 14px 16px; font-size: 18px; }
    main { max-width: 640px; margin: 0 auto; padding: 12px 16px 32px; }
    section { background: #fff; border-radius: 8px; padding: 14px 16px; margin: 12px 0; box-shadow: 0 1px 2px rgba(0,0,0,.08); }
    label { display: block; margin: 10px 0 4px; font-size: 14px; color: #4a5563; }
    input[type=text], input[type=tel], textarea { width: 100%; box-sizing: border-box; font-size: 16px; padding: 10px; border: 1px solid #c9d1d9; border-radius: 6px; }
    button { margin-top: 12px; width: 100%; font-size: 17px; padding: 11px; border: 0; border-radius: 6px; background: #b4232a; color: #fff; }
    .state { font-size: 20px; font-weight: 600; margin: 4px 0 8px; }
    .muted { color: #5f6b7a; font-size: 14px; }
    .error { color: #b4232a; font-weight: 600; }
    ol { padding-left: 20px; } li { margin: 6px 0; }
    .choices label { display: inline-block; margin-right: 14px; color: #1d2733; font-size: 16px; }
    </style>
    </head>
    <body>
    <header>12345 工单查询 · Track your request</header>
    <main>
    <section>
      <form id="lookup">
        <label for="case-id">工单编号 · Case number</label>
        <input type="text" id="case-id" autocomplete="off" required placeholder="WH-20261202-000001">
        <label for="phone">来电号码或后四位 · Phone number, or its last four digits</label>
        <input type="tel" id="phone" autocomplete="tel" required>
        <button type="submit" id="lookup-button">查询 · Look up</button>
      </form>
      <p id="message" role="status"></p>
    </section>
    <section id="result" hidden>
      <div class="muted" id="r-id"></div>
      <div class="state" id="r-state"></div>
      <div id="r-subject"></div>
      <p class="muted">承办单位 · Unit: <span id="r-unit"></span></p>
      <p class="muted" id="r-due"></p>
      <h3>答复 · Replies</h3>
      <ol id="r-replies"></ol>
      <h3>办理过程 · History</h3>
      <ol id="r-history"></ol>
      <p id="r-verdict-given" class="muted"></p>
    </section>
    <section id="verdict" hidden>
      <h3>评价 · Your verdict</h3>
      <form id="verdict-form">
        <div class="choices">
          <label><input type="radio" name="satisfaction" value="satisfied" required> 满意 · satisfied</label>
          <label><input type="radio" name="satisfaction" value="basically_satisfied"> 基本满意 · basically</label>
          <label><input type="radio" name="satisfaction" value="unsatisfied"> 不满意 · unsatisfied</label>
        </div>
        <label>问题是否解决 · Was the problem solved?</label>
        <div class="choices">
          <label><input type="radio" name="solved" value="true" required> 已解决 · yes</label>
          <label><input type="radio" name="solved" value="false"> 未解决 · no</label>
        </div>
        <label for="comment">意见 · Comment</label>
        <textarea id="comment" rows="3" maxlength="2000"></textarea>
        <button type="submit" id="verdict-button">提交评价 · Send</button>
      </form>
      <p class="muted" id="verdict-due"></p>
    </section>
    </main>
    <script>
    (function () {
      var current = null;
      function el(id) { return document.getElementById(id); }
      function text(id, value) { el(id).textContent = value == null ? "" : String(value); }
      function local(t) { if (!t) return ""; var d = new Date(t); return isNaN(d) ? t : d.toLocaleString(); }
      function list(id, items, line) {
        var ol = el(id); ol.textContent = "";
        items.forEach(function (item) { var li = document.createElement("li"); li.textContent = line(item); ol.appendChild(li); });
        if (!items.length) { var li = document.createElement("li"); li.textContent = "—"; ol.appendChild(li); }
      }
      function show(view) {
        current = view;
        el("result").hidden = false;
        text("r-id", view.id);
        text("r-state", view.state_text);
        text("r-subject", view.subject);
        text("r-unit", view.unit.department ? view.unit.name + " " + view.unit.department : view.unit.name);
        var due = view.handling_due || view.response_due;
        text("r-due", due ? "办理时限 · Due by " + local(due) : "");
        list("r-replies", view.replies, function (r) { return local(r.at) + " · " + r.unit.name + ": " + r.text; });
        list("r-history", view.history, function (s) { return local(s.at) + " · " + s.unit.name + " · " + s.text; });
        text("r-verdict-given", view.verdict.given ? "您的评价 · Your verdict: " + view.verdict.given : "");
        el("verdict").hidden = !view.verdict.open;
        text("verdict-due", view.verdict.due ? "请在 " + local(view.verdict.due) + " 前评价 · Please answer by then" : "");
      }
      function fail(response, body) {
        el("result").hidden = true; el("verdict").hidden = true;
        var message = body && body.error ? body.error.message : "请稍后再试 · Please try again later";
        if (response.status === 404) message = "未找到该工单，请核对编号和电话 · No case with that number and phone";
        if (response.status === 429) message = "尝试次数过多，请稍后再试 · Too many tries, please wait";
        el("message").className = "error"; text("message", message);
      }
      function post(path, body) {
        return fetch(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) })
          .then(function (r) { return r.json().then(function (b) { return { r: r, b: b }; }, function () { return { r: r, b: null }; }); });
      }
      el("lookup").addEventListener("submit", function (e) {
        e.preventDefault();
        el("message").className = ""; text("message", "查询中 · Looking up…");
        post("/track/" + encodeURIComponent(el("case-id").value.trim()), { phone: el("phone").value.trim() }).then(function (x) {
          if (!x.r.ok) return fail(x.r, x.b);
          text("message", ""); show(x.b);
        });
      });
      el("verdict-form").addEventListener("submit", function (e) {
        e.preventDefault();
        var form = el("verdict-form");
        var body = { phone: el("phone").value.trim(), satisfaction: form.satisfaction.value, solved: form.solved.value === "true", comment: el("comment").value };
        post("/track/" + encodeURIComponent(current.id) + "/verdict", body).then(function (x) {
          if (!x.r.ok) return fail(x.r, x.b);
          el("message").className = ""; text("message", "感谢您的评价 · Thank you for your verdict"); show(x.b);
        });
      });
    })();
    </script>
    </body>
    </html>
    """
}
