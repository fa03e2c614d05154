/* factorscope: the Labelling page's browser side (pages/labelling.py).
 *
 * 1. labelling.action(...): turn a click on a class button, Submit, Skip, Flag, Undo, or a changed value in the
 *    history into one action {kind, item, attribute, value, serial, key} for the label-action store. ``key`` is a
 *    fresh random id, sent as the write's Idempotency-Key; ``serial`` names the item shown, and only one answer
 *    per shown item is sent (a second key press while the next item loads is dropped).
 * 2. The keys: 1-9 press the class buttons, Enter Submit, Space Skip, F Flag, Backspace Undo, ? the key list,
 *    arrows move the slider. Keys typed into a text field or a dropdown are left alone.
 * 3. labelling.toggleHelp: open or close the key list.
 */
window.dash_clientside = window.dash_clientside || {};

(function () {
    var answered = null;  // the serial of the item last answered (label, skip or flag)

    function newKey() {  // a random (version 4) UUID; crypto.getRandomValues works outside secure contexts too
        var b = new Uint8Array(16);
        window.crypto.getRandomValues(b);
        b[6] = (b[6] & 0x0f) | 0x40;
        b[8] = (b[8] & 0x3f) | 0x80;
        var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
        return [h.slice(0, 8), h.slice(8, 12), h.slice(12, 16), h.slice(16, 20), h.slice(20)].join("-");
    }

    function triggeredId(trigger) {  // "label-skip" or the parsed pattern id of "{...}.n_clicks"
        var id = trigger.prop_id.slice(0, trigger.prop_id.lastIndexOf("."));
        return id.charAt(0) === "{" ? JSON.parse(id) : id;
    }

    function edit(id, value, history) {  // a history value changed: an action only when it differs from the label's
        if (value === null || value === undefined || value === "") {
            return window.dash_clientside.no_update;
        }
        var row = (history || []).find(function (r) {  // [id, item, value, retracted_by, attribute]: yours standing
            return r[1] === id.index && r[4] === id.attribute && r[2] !== null && r[3] === null;
        });
        if (row && row[2] === value) {
            return window.dash_clientside.no_update;
        }
        return {kind: "edit", item: id.index, attribute: id.attribute, value: value, key: newKey()};
    }

    function answer(kind, value, current) {
        var next = current && current.next;
        if (!next || next.item === null || answered === current.serial) {
            return window.dash_clientside.no_update;
        }
        answered = current.serial;
        return {kind: kind, item: next.item, attribute: next.attribute, value: value, serial: current.serial,
                key: newKey()};
    }

    window.dash_clientside.labelling = {
        action: function (classClicks, submit, skip, flag, undo, edits, current, slider, history) {
            var trigger = (window.dash_clientside.callback_context.triggered || [])[0];
            if (!trigger) {
                return window.dash_clientside.no_update;
            }
            var id = triggeredId(trigger);
            if (id && id.type === "label-edit") {
                return edit(id, trigger.value, history);
            }
            if (!trigger.value) {  // a button just drawn (n_clicks 0)
                return window.dash_clientside.no_update;
            }
            if (id === "label-undo") {
                return {kind: "undo", key: newKey()};
            }
            if (id && id.type === "label-class") {
                return answer("label", id.index, current);
            }
            var kinds = {"label-submit": "label", "label-skip": "skip", "label-flag": "flag"};
            return answer(kinds[id], id === "label-submit" ? slider : null, current);
        },
        toggleHelp: function (open, close, isOpen) {
            return !isOpen;
        }
    };

    function click(id) {
        var el = document.getElementById(id);
        if (el && !el.closest("[hidden]")) {
            el.click();
        }
    }

    function nudge(direction, far) {  // move the continuous answer's slider by one step (ten with Shift)
        var thumb = document.querySelector("#label-slider-box [role=slider]");
        var box = document.getElementById("label-slider-box");
        if (!thumb || box.hidden) {
            return;
        }
        var low = parseFloat(thumb.getAttribute("aria-valuemin"));
        var high = parseFloat(thumb.getAttribute("aria-valuemax"));
        var now = parseFloat(thumb.getAttribute("aria-valuenow"));
        var step = (high - low) / 100;
        var value = Math.min(high, Math.max(low, now + direction * step * (far ? 10 : 1)));
        var snapped = low + Math.round((value - low) / step) * step;
        window.dash_clientside.set_props("label-slider", {value: parseFloat(snapped.toPrecision(12))});
    }

    var KEYS = {"Enter": "label-submit", " ": "label-skip", "f": "label-flag", "F": "label-flag",
                "Backspace": "label-undo"};

    document.addEventListener("keydown", function (e) {
        var work = document.getElementById("label-work");
        var target = e.target || {};
        if (!work || work.hidden || e.ctrlKey || e.metaKey || e.altKey || e.repeat) {
            return;
        }
        if (/^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName || "") || target.isContentEditable ||
                (target.closest && target.closest(".fs-label-edit"))) {
            return;
        }
        if (e.key === "?") {
            click("label-help-open");
            e.preventDefault();
            return;
        }
        if (document.querySelector(".modal.show") || !handle(e, target)) {
            return;
        }
        e.preventDefault();
        if (target.tagName === "BUTTON") {
            target.blur();  // a focused button would answer Space or Enter a second time
        }
    });

    document.addEventListener("change", function (e) {  // a chosen attribute: the keys answer again at once
        if (e.target && e.target.closest && e.target.closest("#label-attribute-box")) {
            e.target.blur();
        }
    });

    function handle(e, target) {  // whether the key is one of the page's (and do what it says)
        if (/^[1-9]$/.test(e.key)) {
            var button = document.querySelectorAll("#label-classes .fs-label-class")[Number(e.key) - 1];
            if (button) {
                button.click();
            }
            return true;
        }
        if (e.key === "ArrowLeft" || e.key === "ArrowRight") {
            if (target.closest && target.closest("#label-slider-box")) {
                return false;  // the slider has the focus and moves itself
            }
            nudge(e.key === "ArrowLeft" ? -1 : 1, e.shiftKey);
            return true;
        }
        if (KEYS[e.key]) {
            click(KEYS[e.key]);
            return true;
        }
        return false;
    }
})();
