// Keyboard-usable ARIA tabs (WAI-ARIA "tabs with automatic activation"): arrow keys, Home and
// End move between the tabs of a tablist; the selected tab is the only one in the Tab order.

/**
 * Wires `tablist`. Tabs may be added later (the listener is delegated). `onSelect(tab)` selects
 * a tab; without it the tab's aria-controls panel is shown and its siblings' panels hidden.
 */
export function setupTabs(tablist, onSelect) {
  const tabs = () => [...tablist.querySelectorAll('[role="tab"]')];
  const select = (tab, focus) => {
    if (onSelect) onSelect(tab);
    else {
      for (const t of tabs()) {
        const on = t === tab;
        t.setAttribute('aria-selected', String(on));
        t.tabIndex = on ? 0 : -1;
        document.getElementById(t.getAttribute('aria-controls')).hidden = !on;
      }
    }
    if (focus) tab.focus();
  };
  if (!onSelect) {
    tablist.addEventListener('click', (e) => {
      const tab = e.target.closest('[role="tab"]');
      if (tab) select(tab, false);
    });
  }
  tablist.addEventListener('keydown', (e) => {
    const all = tabs();
    const i = all.indexOf(document.activeElement);
    if (i < 0) return;
    let next = null;
    if (e.key === 'ArrowRight' || e.key === 'ArrowDown') next = all[(i + 1) % all.length];
    else if (e.key === 'ArrowLeft' || e.key === 'ArrowUp') next = all[(i - 1 + all.length) % all.length];
    else if (e.key === 'Home') next = all[0];
    else if (e.key === 'End') next = all[all.length - 1];
    if (!next) return;
    e.preventDefault();
    select(next, true);
  });
}
