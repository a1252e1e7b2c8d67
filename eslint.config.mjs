// ESLint: TypeScript rules plus Pulumi's (it flags an Output inside a template literal).
import tseslint from "typescript-eslint";
import pulumi from "@pulumi/eslint-plugin";

export default tseslint.config({ ignores: ["node_modules/**", "bin/**", "rendered/**"] }, ...tseslint.configs.recommended, {
    files: ["**/*.ts"],
    languageOptions: { parserOptions: { project: "./tsconfig.json", tsconfigRootDir: import.meta.dirname } },
    plugins: { "@pulumi": pulumi },
    rules: {
        "@pulumi/no-output-in-template-literal": "error",
        "@pulumi/no-output-instance-in-template-literal": "error",
        // Tests read recorded inputs as plain JSON; `any` is the honest type there.
        "@typescript-eslint/no-explicit-any": "off",
        "@typescript-eslint/no-require-imports": "off",
    },
});
