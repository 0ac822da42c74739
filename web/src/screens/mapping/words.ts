// The mapping screens' words for what the API names.

const PROFILE_FIELD: Record<string, string> = {
  name: "name",
  email: "email address",
  country_code: "country",
};

/** What an incomplete profile lacks, in words ("email address, country"). */
export function lacking(missing: string[]): string {
  return missing.map((field) => PROFILE_FIELD[field] ?? field.replace(/_/g, " ")).join(", ");
}
