/* factorscope: the bits of browser-side behaviour Dash has no component for.
 *
 * 1. syncQuery(search): keep the address bar equal to the page's state and return the absolute link for the
 *    share box. A view change gets a history entry (pushState), so Back undoes it: changes within
 *    COALESCE_MS of the last (a slider dragged) share one entry, and a page filling in its link while it
 *    loads (SETTLE_MS) adds none. Back or Forward within the same page reloads it from the address.
 * 2. <img data-error-store="ID">: when a backend image fails (a 4xx/5xx problem) or loads, store
 *    {src} or null into the dcc.Store ID, so a server-side callback can show the problem's message.
 * 3. sliderValue(value): a playground slider's value, shown beside it while it is dragged.
 * 4. clearLinkNote(run, initial): drop the warning about the page's link once another run is picked.
 * 4b. spriteHover(hover, values, sprite): the Embedding page's hover card, with no server round trip: the hovered
 *    item's thumbnail (cell i % 1024 of sprite sheet i // 1024, i its position in the sample: its point number in
 *    the figure's first trace), index and values ({names, columns}: column j's value of point i at [i]).
 *    selectionOutline(selected): Plotly's selection without its points (a box's range or a lasso's vertices), so
 *    the server hears the outline, not every selected point.
 * 5. What Dash's components leave out for keyboards and screen readers, added as they are drawn: copy buttons
 *    (.fs-copy: dcc.Clipboard draws a bare <div>) become focusable buttons named by their title, Enter or Space
 *    copying as a click does; a <label for> naming a wrapper (dcc.Slider's <div>) names the slider and number box
 *    inside it; a dcc.Dropdown is reached by Tab on its own button, not on a hidden input (axe: aria-hidden-focus).
 */
var factorscopeNav = {path: window.location.pathname, settleUntil: Date.now() + 3000, changedAt: 0};
var COALESCE_MS = 1000, SETTLE_MS = 3000;

window.addEventListener("popstate", function () {
    if (window.location.pathname === factorscopeNav.path) {
        window.location.reload();  // an earlier view of this page: it restores itself from its address
    }
});

window.dash_clientside = window.dash_clientside || {};
window.dash_clientside.factorscope = {
    syncQuery: function (search) {
        if (typeof search !== "string") {
            return window.dash_clientside.no_update;
        }
        var nav = factorscopeNav, now = Date.now(), path = window.location.pathname;
        if (path !== nav.path) {  // another page opened (Dash navigation): it settles first
            nav.path = path;
            nav.settleUntil = now + SETTLE_MS;
        }
        if (window.location.search !== search) {
            var quiet = now < nav.settleUntil || now - nav.changedAt < COALESCE_MS;
            var write = quiet ? window.history.replaceState : window.history.pushState;
            write.call(window.history, window.history.state, "", path + search);
            nav.changedAt = now < nav.settleUntil ? 0 : now;
        }
        return window.location.origin + path + search;
    },
    sliderValue: function (value) {
        return typeof value === "number" ? value.toFixed(2) : window.dash_clientside.no_update;
    },
    clearLinkNote: function (run, initial) {
        var asked = new URLSearchParams(initial || "").get("run");
        return asked && run && run !== asked ? null : window.dash_clientside.no_update;
    },
    spriteHover: function (hover, values, sprite) {
        var point = hover && hover.points && hover.points[0];
        if (!point || point.curveNumber !== 0 || typeof point.pointNumber !== "number") {
            return [{display: "none"}, {}, ""];
        }
        var at = point.pointNumber, lines = ["item " + point.customdata];
        ((values && values.names) || []).forEach(function (name, j) {
            lines.push(name + " " + Number(Number(values.columns[j][at]).toPrecision(4)));
        });
        return [{display: "block"}, sprite ? spriteCell(sprite, at) : {display: "none"}, lines.join("\n")];
    },
    selectionOutline: function (selected) {
        if (!selected) {
            return null;
        }
        return selected.range ? {range: selected.range} : {lassoPoints: selected.lassoPoints || null};
    }
};

var SPRITE_PAGE = 1024, SPRITE_COLUMNS = 32, HOVER_PX = 64;

function spriteCell(sprite, at) {  // the cell of sample position ``at``, drawn HOVER_PX square
    var cell = at % SPRITE_PAGE, page = Math.floor(at / SPRITE_PAGE);
    var x = (cell % SPRITE_COLUMNS) * HOVER_PX, y = Math.floor(cell / SPRITE_COLUMNS) * HOVER_PX;
    return {backgroundImage: 'url("' + sprite.replace("{page}", page) + '")', backgroundPosition: -x + "px " + -y + "px",
            backgroundSize: SPRITE_COLUMNS * HOVER_PX + "px auto", display: "block"};
}

(function () {
    var shown = {};  // store id -> the <img> whose failure it holds (images sharing a store clear only their own)

    function report(event, failed) {
        var img = event.target;
        if (!img || img.tagName !== "IMG" || !img.dataset || !img.dataset.errorStore) {
            return;
        }
        var store = img.dataset.errorStore;
        if (!failed && shown[store] !== img) {
            return;
        }
        shown[store] = failed ? img : undefined;
        var dc = window.dash_clientside;
        if (dc && typeof dc.set_props === "function") {
            try {
                dc.set_props(store, {data: failed ? {src: img.src, at: Date.now()} : null});
            } catch (err) {  // the page (and its store) is gone
                console.debug("factorscope: no store for an image message", err);
            }
        }
    }
    document.addEventListener("error", function (e) { report(e, true); }, true);
    document.addEventListener("load", function (e) { report(e, false); }, true);
})();

(function () {
    var NAMED = "input, select, textarea, button";

    function copyButtons() {
        document.querySelectorAll(".fs-copy:not([tabindex])").forEach(function (el) {
            el.setAttribute("tabindex", "0");
            el.setAttribute("role", "button");
            el.setAttribute("aria-label", el.getAttribute("title") || "copy");
        });
    }
    function labelledWrappers() {
        document.querySelectorAll("label[for]").forEach(function (label) {
            var target = document.getElementById(label.htmlFor);
            if (!target || target.matches(NAMED)) {
                return;
            }
            label.id = label.id || label.htmlFor + "-label";
            target.querySelectorAll("[role=slider], input:not([type=hidden])").forEach(function (el) {
                var own = el.labels && el.labels.length;  // a radio or check box keeps its own label
                if (!own && !el.hasAttribute("aria-label") && !el.hasAttribute("aria-labelledby")) {
                    el.setAttribute("aria-labelledby", label.id);
                }
            });
        });
    }
    function dropdownTabStops() {
        document.querySelectorAll(".dash-dropdown-focus-target[tabindex='0']").forEach(function (el) {
            var trigger = el.nextElementSibling;
            if (trigger && trigger.tagName === "BUTTON") {
                el.setAttribute("tabindex", "-1");
                trigger.setAttribute("tabindex", "0");
            }
        });
    }
    var queued = false;
    new MutationObserver(function () {
        if (!queued) {
            queued = true;
            window.requestAnimationFrame(function () {
                queued = false;
                copyButtons();
                labelledWrappers();
                dropdownTabStops();
            });
        }
    }).observe(document.documentElement, {childList: true, subtree: true});
    document.addEventListener("keydown", function (e) {
        var el = e.target;
        if ((e.key === "Enter" || e.key === " ") && el && el.classList && el.classList.contains("fs-copy")) {
            e.preventDefault();
            el.click();
        }
    });
})();
