// A setting with a few choices: a fieldset of radios (arrow keys move between them), its
// explanation and the API's problem with it beside it.

import type { ComponentChildren, JSX } from "preact";
import { useId } from "preact/hooks";
import type { Choice } from "./choices";

export function RadioGroup(props: {
  name: string;
  label: string;
  hint: string;
  value: string;
  choices: Choice<string>[];
  onChange: (value: string) => void;
  error?: string | undefined;
  children?: ComponentChildren;
}): JSX.Element {
  const id = useId();
  const described = [`${id}-hint`, props.error ? `${id}-error` : ""].filter(Boolean).join(" ");
  return (
    <fieldset
      class={`setting ${props.error ? "field-invalid" : ""}`}
      aria-describedby={described}
      data-setting={props.name}
    >
      <legend>{props.label}</legend>
      <p class="hint" id={`${id}-hint`}>
        {props.hint}
      </p>
      <div class="choices">
        {props.choices.map((choice) => (
          <label key={choice.value} class={`choice ${props.value === choice.value ? "choice-on" : ""}`}>
            <input
              type="radio"
              name={`${id}-${props.name}`}
              value={choice.value}
              checked={props.value === choice.value}
              aria-invalid={props.error ? true : undefined}
              onChange={() => props.onChange(choice.value)}
            />
            <span>
              {choice.label}
              {choice.hint ? <span class="choice-hint"> — {choice.hint}</span> : null}
            </span>
          </label>
        ))}
      </div>
      {props.error ? (
        <p class="field-error" id={`${id}-error`}>
          {props.error}
        </p>
      ) : null}
      {props.children}
    </fieldset>
  );
}
