// Seed 001's Expo SMS-code page, verbatim but for the import lines (as ../../expo-email-code/app/sign-in.tsx) and
// trimmed styles.
import { ThemedText, ThemedView } from '../../shims/react-native'
import { Colors } from '../../shims/react-native'
import { useColorScheme } from '../../shims/react-native'
import { useSignIn } from '@trustgate/react'
import { PhoneCodeFactor } from '@trustgate/react/types'
import { type Href, useRouter } from '../../shims/react-native'
import React from 'react'
import { Pressable, StyleSheet, TextInput } from '../../shims/react-native'
export default function Page() {
const { signIn, errors, fetchStatus } = useSignIn()
const router = useRouter()
const colorScheme = useColorScheme() ?? 'light'
const themeColors = Colors[colorScheme]
const [phoneNumber, setPhoneNumber] = React.useState('')
const [password, setPassword] = React.useState('')
const [code, setCode] = React.useState('')
const handleSubmit = async () => {
await signIn.password({
phoneNumber,
password,
})
if (signIn.status === 'complete') {
await signIn.finalize({
navigate: ({ session, decorateUrl }) => {
if (session?.currentTask) {
console.log(session?.currentTask)
return
}
const url = decorateUrl('/')
if (url.startsWith('http')) {
window.location.href = url
} else {
router.push(url as Href)
}
},
})
} else if (signIn.status === 'needs_second_factor') {
// See https://clerk.com/docs/guides/development/custom-flows/authentication/multi-factor-authentication
} else if (signIn.status === 'needs_client_trust') {
const phoneCodeFactor = signIn.supportedSecondFactors.find(
(factor): factor is PhoneCodeFactor => factor.strategy === 'phone_code',
)
if (phoneCodeFactor) {
await signIn.mfa.sendPhoneCode()
}
} else {
// Check why the sign-in is not complete
console.error('Sign-in attempt not complete:', signIn)
}
}
const handleVerify = async () => {
await signIn.mfa.verifyPhoneCode({ code })
if (signIn.status === 'complete') {
await signIn.finalize({
navigate: ({ session, decorateUrl }) => {
if (session?.currentTask) {
console.log(session?.currentTask)
return
}
const url = decorateUrl('/')
if (url.startsWith('http')) {
window.location.href = url
} else {
router.push(url as Href)
}
},
})
} else {
// Check why the sign-in is not complete
console.error('Sign-in attempt not complete:', signIn)
}
}
if (signIn.status === 'needs_client_trust') {
return (
<ThemedView style={styles.container}>
<ThemedText type="title" style={styles.title}>
Verify your account
</ThemedText>
<ThemedText style={styles.label}>Code</ThemedText>
<TextInput
style={[
styles.input,
{ backgroundColor: themeColors.background, borderColor: themeColors.icon },
]}
value={code}
placeholder="Enter code"
placeholderTextColor={themeColors.icon}
onChangeText={(code) => setCode(code)}
keyboardType="numeric"
/>
{errors.fields.code && (
<ThemedText style={styles.error}>{errors.fields.code.message}</ThemedText>
)}
<Pressable
style={({ pressed }) => [
styles.button,
fetchStatus === 'fetching' && styles.buttonDisabled,
pressed && styles.buttonPressed,
]}
onPress={handleVerify}
disabled={fetchStatus === 'fetching'}
>
<ThemedText style={styles.buttonText}>Verify</ThemedText>
</Pressable>
<Pressable
style={({ pressed }) => [styles.secondaryButton, pressed && styles.buttonPressed]}
onPress={() => signIn.mfa.sendPhoneCode()}
>
<ThemedText style={styles.secondaryButtonText}>I need a new code</ThemedText>
</Pressable>
<Pressable
style={({ pressed }) => [styles.secondaryButton, pressed && styles.buttonPressed]}
onPress={() => signIn.reset()}
>
<ThemedText style={styles.secondaryButtonText}>Start over</ThemedText>
</Pressable>
{errors && <ThemedText style={styles.debug}>{JSON.stringify(errors, null, 2)}</ThemedText>}
</ThemedView>
)
}
return (
<ThemedView style={styles.container}>
<ThemedText type="title" style={styles.title}>
Sign in
</ThemedText>
<ThemedText style={styles.label}>Enter phone number</ThemedText>
<TextInput
style={[
styles.input,
{ backgroundColor: themeColors.background, borderColor: themeColors.icon },
]}
value={phoneNumber}
placeholder="Enter phone number"
placeholderTextColor={themeColors.icon}
onChangeText={(phoneNumber) => setPhoneNumber(phoneNumber)}
keyboardType="phone-pad"
/>
{errors.fields.identifier && (
<ThemedText style={styles.error}>{errors.fields.identifier.message}</ThemedText>
)}
<ThemedText style={styles.label}>Enter password</ThemedText>
<TextInput
style={[
styles.input,
{ backgroundColor: themeColors.background, borderColor: themeColors.icon },
]}
value={password}
placeholder="Enter password"
placeholderTextColor={themeColors.icon}
secureTextEntry
onChangeText={(password) => setPassword(password)}
/>
{errors.fields.password && (
<ThemedText style={styles.error}>{errors.fields.password.message}</ThemedText>
)}
<Pressable
style={({ pressed }) => [
styles.button,
fetchStatus === 'fetching' && styles.buttonDisabled,
pressed && styles.buttonPressed,
]}
onPress={handleSubmit}
disabled={fetchStatus === 'fetching'}
>
<ThemedText style={styles.buttonText}>Continue</ThemedText>
</Pressable>
{errors && <ThemedText style={styles.debug}>{JSON.stringify(errors, null, 2)}</ThemedText>}
</ThemedView>
)
}
const styles = StyleSheet.create({
container: {}, title: {}, label: {}, input: {}, button: {}, buttonPressed: {}, buttonDisabled: {}, buttonText: {},
secondaryButton: {}, secondaryButtonText: {}, error: {}, debug: {},
})
