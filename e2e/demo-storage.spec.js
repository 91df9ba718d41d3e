// @ts-check
// The demo's "notes survive a reload" example in real Chromium, in worker and page mode: a note
// written in one visit is still there after a reload, and the bridge record shows the flush
// (file count and bytes), never the note itself.
const { test, expect } = require("@playwright/test");
const { openDemo, runExample } = require("./demo-helpers");

for (const mode of ["worker", "page"]) {
  test(`${mode} mode: notes survive a reload`, async ({ page }) => {
    await openDemo(page, `?mode=${mode}`);
    const first = await runExample(page, "notes-survive-reload");
    const count = Number(/→ (\d+)/.exec(first.output)?.[1]);
    expect(count, first.output).toBeGreaterThanOrEqual(1);
    const row = page.locator('#bridge-table tr[data-outcome="committed"]').last();
    await expect(row).toContainText("storage:demo-notes");
    await expect(row).not.toContainText("note written at");
    await page.reload();
    await openDemo(page, `?mode=${mode}`);
    const second = await runExample(page, "notes-survive-reload");
    expect(second.output).toContain(`${count} note(s) from earlier runs or visits`);
    expect(Number(/→ (\d+)/.exec(second.output)?.[1])).toBe(count + 1);
  });
}
